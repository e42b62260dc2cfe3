/* Civility moderation desk: keyboard-first queue, live via SSE (polling fallback). No build step. */
(function () {
  "use strict";
  var cfgEl = document.getElementById("mod-config");
  if (!cfgEl) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var API = cfg.api;

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function api(method, path, body) {
    return fetch(API + path, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          var e = new Error((data.error && data.error.message) || ("HTTP " + r.status));
          e.code = data.error && data.error.code; e.status = r.status; throw e;
        }
        return data;
      });
    });
  }
  function el(tag, attrs, children) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") n.textContent = attrs[k];
      else if (k === "html") n.innerHTML = attrs[k];  // server-escaped highlight markup only
      else n.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) n.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return n;
  }
  var statusEl = document.getElementById("status");
  function say(msg, bad) {
    if (!statusEl) return;
    statusEl.textContent = msg;
    statusEl.className = "mod-status" + (bad ? " mod-status-bad" : " mod-status-ok");
  }

  /* ---------------- user page ---------------- */
  var userBox = document.getElementById("user-actions");
  if (userBox) {
    var uid = userBox.getAttribute("data-user");
    userBox.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-action]"); if (!b) return;
      var action = b.getAttribute("data-action");
      var reasonEl = document.getElementById("ban-reason");
      var body = { reason: reasonEl ? reasonEl.value : "" };
      if (action === "suspend") body.hours = Number(b.getAttribute("data-hours"));
      api("POST", "users/" + uid + "/" + action, body).then(function () { location.reload(); },
        function (err) { say(err.message, true); });
    });
    var noteForm = document.getElementById("note-form");
    noteForm.addEventListener("submit", function (e) {
      e.preventDefault();
      api("POST", "users/" + uid + "/note", { text: document.getElementById("note-text").value })
        .then(function () { location.reload(); }, function (err) { say(err.message, true); });
    });
    return;
  }

  /* ---------------- queue page ---------------- */
  var list = document.getElementById("cards");
  var tabs = document.getElementById("tabs");
  var live = document.getElementById("live");
  var selectionEl = document.getElementById("selection");
  var dialog = document.getElementById("dialog");
  // `limit` grows by PAGE with "Show more"; every reload (after an action or a live event) asks
  // for that many, so the desk never drops cards the moderator has paged to.
  var PAGE = 50, MAX_PAGE = 500;
  var state = { cards: [], focus: 0, selected: {}, counts: {}, busy: false, dialogOpen: false, limit: PAGE };

  function queueUrl(q) {
    var p = new URLSearchParams(); p.set("queue", q); if (cfg.story) p.set("story", cfg.story);
    return "?" + p.toString();
  }
  function renderTabs() {
    tabs.innerHTML = "";
    Object.keys(cfg.queues).forEach(function (q, i) {
      var a = el("a", { href: queueUrl(q), "data-queue": q, "aria-keyshortcuts": String(i + 1) },
        [cfg.queues[q] + " ", el("span", { "class": "mod-count", text: String(state.counts[q] || 0) })]);
      if (q === cfg.queue) a.setAttribute("aria-current", "page");
      tabs.appendChild(a);
    });
  }
  function reasonList(card) {
    if (!card.reasons.length && !card.report_total) return null;
    var ul = el("ul", { "class": "mod-reasons", "aria-label": "Why it is here" });
    card.reasons.forEach(function (r) {
      var text = r.message + (r.matched ? " — “" + r.matched + "”" : "");
      if (r.spans && r.spans.length) text += " — " + r.spans.map(function (s) { return "“" + s.text + "”"; }).join(", ");
      ul.appendChild(el("li", { "class": "mod-reason-" + r.action, text: text }));
    });
    if (card.report_total) {
      var parts = Object.keys(card.reports).map(function (k) { return k + " ×" + card.reports[k]; });
      ul.appendChild(el("li", { "class": "mod-reason-report", text: card.report_total + " open report(s): " + parts.join(", ") }));
      card.report_messages.forEach(function (m) { ul.appendChild(el("li", { "class": "mod-report-msg", text: "“" + m + "”" })); });
    }
    return ul;
  }
  function scoreBar(card) {
    var keys = Object.keys(card.scores || {});
    if (!keys.length) return null;
    keys.sort(function (a, b) { return card.scores[b] - card.scores[a]; });
    return el("p", { "class": "mod-scores", text: keys.slice(0, 4).map(function (k) { return k + " " + card.scores[k].toFixed(2); }).join(" · ") });
  }
  function history(a) {
    var bits = [a.comments + " comments", a.rejected + " rejected", a.reports + " reports", "account " + a.account_age_days + " days old"];
    if (a.banned) bits.push("BANNED");
    if (a.suspended_until) bits.push("suspended until " + a.suspended_until.slice(0, 16).replace("T", " "));
    var p = el("p", { "class": "mod-history" }, [el("a", { href: "../" + cfg.site + "/users/" + a.id + "/", text: a.name }), " · " + bits.join(" · ")]);
    if (a.notes && a.notes.length) p.appendChild(el("span", { "class": "mod-note", text: " · note: " + a.notes[a.notes.length - 1].text }));
    return p;
  }
  function cardNode(card, i) {
    var li = el("li", { "class": "mod-card", tabindex: "-1", "data-id": String(card.id), "data-status": card.status, "aria-label": "Comment by " + card.author.name });
    if (state.selected[card.id]) li.classList.add("mod-selected");
    var head = el("header", { "class": "mod-card-head" }, [
      el("span", { "class": "mod-badge mod-status-" + card.status, text: card.status }),
      card.featured ? el("span", { "class": "mod-badge", text: "featured" }) : null,
      card.unscored ? el("span", { "class": "mod-badge mod-unscored", title: "The model did not score this comment", text: "not scored: " + card.unscored }) : null,
      el("a", { href: "comments/" + card.id + "/", text: "#" + card.id }), " on ",
      el("a", { href: card.story.url, target: "_blank", rel: "noopener", text: card.story.title }),
      " ", el("a", { href: queueUrl(cfg.queue).replace(/story=\d+/, "") + "&story=" + card.story.id, text: "(story queue)" }),
      el("time", { datetime: card.created_at, text: " " + card.created_at.slice(0, 16).replace("T", " ") })
    ]);
    li.appendChild(head);
    if (card.parent) li.appendChild(el("blockquote", { "class": "mod-parent", text: "In reply to " + card.parent.author + ": " + card.parent.body }));
    li.appendChild(el("div", { "class": "mod-body", html: card.body_html }));
    var why = reasonList(card); if (why) li.appendChild(why);
    var sb = scoreBar(card); if (sb) li.appendChild(sb);
    if (card.rejection_reason) li.appendChild(el("p", { "class": "mod-rejection", text: "Rejected: " + card.rejection_reason }));
    li.appendChild(history(card.author));
    var buttons = el("div", { "class": "mod-actions" }, [
      btn("Approve (a)", "approve"), btn("Reject (r)", "reject"), btn(card.featured ? "Unfeature (f)" : "Feature (f)", "feature"),
      card.report_total ? btn("Dismiss reports (d)", "dismiss") : null, btn("Ban author (b)", "ban")
    ]);
    li.appendChild(buttons);
    li.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-act]");
      state.focus = i; paintFocus(false);
      if (b) run(b.getAttribute("data-act"));
    });
    return li;
  }
  function btn(label, act) { return el("button", { type: "button", "data-act": act, text: label }); }

  function render(keepId) {
    renderTabs();
    list.innerHTML = "";
    if (keepId !== undefined) {
      var idx = state.cards.findIndex(function (c) { return c.id === keepId; });
      if (idx >= 0) state.focus = idx;
    }
    if (state.focus >= state.cards.length) state.focus = Math.max(0, state.cards.length - 1);
    state.cards.forEach(function (c, i) { list.appendChild(cardNode(c, i)); });
    if (!state.cards.length) list.appendChild(el("li", { "class": "mod-empty", text: "Nothing in this queue." }));
    var left = (state.counts[cfg.queue] || 0) - state.cards.length;
    if (left > 0) {
      var step = Math.min(PAGE, left, MAX_PAGE - state.limit);
      var more;
      if (step > 0) {
        more = el("button", { type: "button", id: "show-more", text: "Show " + step + " more (" + left + " not shown)" });
        more.addEventListener("click", function () { state.limit = Math.min(MAX_PAGE, state.limit + PAGE); load(); });
      } else {
        more = el("span", { text: left + " more not shown: handle these first, or open a story's queue." });
      }
      list.appendChild(el("li", { "class": "mod-more" }, [more]));
    }
    var n = Object.keys(state.selected).length;
    selectionEl.textContent = n ? n + " selected (A approve all, R reject all)" : "";
    paintFocus(false);
  }
  function paintFocus(scroll) {
    var nodes = list.querySelectorAll(".mod-card");
    nodes.forEach(function (n, i) { n.classList.toggle("mod-focused", i === state.focus); n.setAttribute("aria-current", i === state.focus ? "true" : "false"); });
    var cur = nodes[state.focus];
    if (cur && !state.dialogOpen && (document.activeElement === document.body || list.contains(document.activeElement) || scroll)) {
      cur.focus({ preventScroll: !scroll });
      if (scroll) cur.scrollIntoView({ block: "nearest" });
    }
  }
  function current() { return state.cards[state.focus]; }

  var loading = null, again = false;
  function load() {
    if (loading) { again = true; return loading; }
    var keep = current() ? current().id : undefined;
    var q = "queue?queue=" + encodeURIComponent(cfg.queue) + (cfg.story ? "&story=" + cfg.story : "") + "&limit=" + state.limit;
    loading = api("GET", q).then(function (data) {
      state.cards = data.cards; state.counts = data.counts;
      var ids = {}; data.cards.forEach(function (c) { ids[c.id] = 1; });
      Object.keys(state.selected).forEach(function (id) { if (!ids[id]) delete state.selected[id]; });
      if (!state.dialogOpen) render(keep);
      document.body.setAttribute("data-loaded", "1");
    }, function (err) { say(err.message, true); }).then(function () {
      loading = null; if (again) { again = false; load(); }
    });
    return loading;
  }

  /* ---- dialog (reject reason, ban) ---- */
  function ask(title, fields) {
    return new Promise(function (resolve) {
      var body = document.getElementById("dialog-body");
      document.getElementById("dialog-title").textContent = title;
      body.innerHTML = "";
      fields.forEach(function (f) {
        var input;
        if (f.options) {
          input = el("select", { name: f.name, id: "dlg-" + f.name });
          f.options.forEach(function (o) { input.appendChild(el("option", { value: o[0], text: o[1] })); });
        } else {
          input = el("input", { name: f.name, id: "dlg-" + f.name, value: f.value || "", autocomplete: "off" });
        }
        body.appendChild(el("label", { "for": "dlg-" + f.name, text: f.label }));
        body.appendChild(input);
      });
      state.dialogOpen = true;
      function finish(ok) {
        var out = null;
        if (ok) { out = {}; fields.forEach(function (f) { out[f.name] = document.getElementById("dlg-" + f.name).value; }); }
        dialog.removeEventListener("close", onClose);
        state.dialogOpen = false;
        if (dialog.open) dialog.close();
        resolve(out);
      }
      function onClose() { finish(dialog.returnValue === "ok"); }
      dialog.addEventListener("close", onClose);
      document.getElementById("dialog-cancel").onclick = function () { dialog.returnValue = "cancel"; dialog.close(); };
      dialog.returnValue = "";
      dialog.showModal();
      var first = body.querySelector("input,select"); if (first) { first.focus(); if (first.select) first.select(); }
    }).then(function (v) { render(current() ? current().id : undefined); return v; });
  }

  // Rejection reasons the author sees: a standard one (picked with the keyboard), plus an optional
  // note. Stored as text, "Reason: note".
  var REASONS = [["Breaks the community guidelines"], ["Abusive or insulting"], ["Hate speech"],
    ["Threat or incitement"], ["Spam or advertising"], ["Off topic"], ["Other"]].map(function (r) { return [r[0], r[0]]; });
  function askReason(title) {
    return ask(title, [
      { name: "reason", label: "Reason", options: REASONS },
      { name: "note", label: "Note to the author (optional)", value: "" }
    ]).then(function (v) {
      if (!v) return null;
      var note = v.note.trim();
      return note ? v.reason + ": " + note : v.reason;
    });
  }
  function run(act) {
    var card = current();
    if (!card || state.busy) return;
    var p;
    if (act === "approve") p = api("POST", "comments/" + card.id + "/approve", { expected_status: card.status }).then(function () { return "Approved #" + card.id; });
    else if (act === "reject") p = askReason("Reject #" + card.id + " — the author sees this reason").then(function (reason) {
      if (!reason) return null;
      return api("POST", "comments/" + card.id + "/reject", { reason: reason, expected_status: card.status }).then(function () { return "Rejected #" + card.id; });
    });
    else if (act === "feature") p = api("POST", "comments/" + card.id + "/" + (card.featured ? "unfeature" : "feature"), {}).then(function () { return (card.featured ? "Unfeatured #" : "Featured #") + card.id; });
    else if (act === "dismiss") p = api("POST", "comments/" + card.id + "/dismiss", {}).then(function (d) { return "Dismissed " + d.dismissed + " report(s)"; });
    else if (act === "ban") p = ask("Ban or suspend " + card.author.name, [
      { name: "period", label: "Period", options: [["ban", "Ban (until lifted)"], ["24", "Suspend 24 hours"], ["168", "Suspend 7 days"], ["720", "Suspend 30 days"]] },
      { name: "reason", label: "Reason", value: "Repeated violations of the community guidelines" },
      { name: "pending", label: "Their comments awaiting review", options: [["reject", "Reject them"], ["keep", "Leave them in the queue"]] }
    ]).then(function (v) {
      if (!v) return null;
      var uid = card.author.id, rejectPending = v.pending === "reject";
      if (v.period === "ban") return api("POST", "users/" + uid + "/ban", { reason: v.reason, reject_pending: rejectPending }).then(function () { return "Banned " + card.author.name; });
      return api("POST", "users/" + uid + "/suspend", { reason: v.reason, hours: Number(v.period), reject_pending: rejectPending }).then(function () { return "Suspended " + card.author.name; });
    });
    else return;
    state.busy = true;
    p.then(function (msg) { if (msg) say(msg); return load(); }, function (err) { say(err.message, true); return load(); })
      .then(function () { state.busy = false; paintFocus(true); });
  }
  function bulk(action) {
    var ids = Object.keys(state.selected).map(Number);
    if (!ids.length) { say("Select comments with x first.", true); return; }
    var p = action === "approve" ? Promise.resolve("") : askReason("Reject " + ids.length + " comments");
    p.then(function (reason) {
      if (reason === null) return;
      return api("POST", "bulk", { action: action, ids: ids, reason: reason }).then(function (d) {
        var failed = Object.keys(d.results).filter(function (k) { return !d.results[k].ok; });
        state.selected = {};
        say((ids.length - failed.length) + " done" + (failed.length ? ", " + failed.length + " already handled" : ""), failed.length > 0);
      }, function (err) { say(err.message, true); });
    }).then(load);
  }

  document.addEventListener("keydown", function (e) {
    if (state.dialogOpen || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
    var k = e.key, handled = true;
    if (k === "j" || k === "ArrowDown") { state.focus = Math.min(state.focus + 1, state.cards.length - 1); paintFocus(true); }
    else if (k === "k" || k === "ArrowUp") { state.focus = Math.max(state.focus - 1, 0); paintFocus(true); }
    else if (k === "a") run("approve");
    else if (k === "r") run("reject");
    else if (k === "b") run("ban");
    else if (k === "f") run("feature");
    else if (k === "d") run("dismiss");
    else if (k === "o" && current()) location.href = "comments/" + current().id + "/";
    else if (k === "x" && current()) { var id = current().id; if (state.selected[id]) delete state.selected[id]; else state.selected[id] = 1; render(id); }
    else if (k === "A") bulk("approve");
    else if (k === "R") bulk("reject");
    else if (/^[1-9]$/.test(k) && Object.keys(cfg.queues)[Number(k) - 1]) location.href = queueUrl(Object.keys(cfg.queues)[Number(k) - 1]);
    else handled = false;
    if (handled) e.preventDefault();
  });

  var toggle = document.getElementById("story-toggle");
  if (toggle) toggle.addEventListener("click", function () {
    var closed = toggle.getAttribute("data-closed") === "1";
    api("POST", "stories/" + toggle.getAttribute("data-story") + "/" + (closed ? "open" : "close"), {})
      .then(function () { location.reload(); }, function (err) { say(err.message, true); });
  });

  /* ---- live: SSE, else polling ---- */
  var timer = null;
  function soon() { clearTimeout(timer); timer = setTimeout(load, 150); }
  function poll() { live.textContent = "refreshing every 10 s"; setInterval(load, 10000); }
  if (window.EventSource) {
    var es = new EventSource(API + "events");
    es.addEventListener("ready", function () { live.textContent = "live"; document.body.setAttribute("data-live", "1"); });
    es.addEventListener("queue", soon);
    es.onerror = function () { live.textContent = "reconnecting…"; };
  } else poll();
  load();
})();
