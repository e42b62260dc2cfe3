/* Civility moderation desk: keyboard-first queue, live via SSE (polling fallback). No build step. */
(function () {
  "use strict";
  if (window.civilityDesk) return;  // loaded once per page (base.html)
  window.civilityDesk = true;
  var cfgEl = document.getElementById("mod-config");
  var cfg = cfgEl ? JSON.parse(cfgEl.textContent) : {};
  var API = cfg.api;
  // The desk's words in the moderator's language: Django's JavaScript catalogue
  // (/embed/i18n/<lang>.js, loaded by base.html before this script) defines django.gettext.
  var i18n = window.django || {};
  function gettext(s) { return i18n.gettext ? i18n.gettext(s) : s; }
  function ngettext(one, many, n) { return i18n.ngettext ? i18n.ngettext(one, many, n) : (n === 1 ? one : many); }
  function fill(s, values) { return s.replace(/%\((\w+)\)s/g, function (m, k) { return String(values[k]); }); }
  function nfill(text, n, values) { return fill(text, Object.assign({ n: n }, values || {})); }
  var LANG = document.documentElement.lang || undefined;

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

  /* ---------------- dates: "3 min ago", the absolute time in the tooltip ---------------- */
  function ago(iso) {
    var t = Date.parse(iso);
    if (isNaN(t)) return iso;
    var s = Math.round((Date.now() - t) / 1000), future = s < 0, text;
    s = Math.abs(s);
    if (s < 45) return future ? gettext("in a moment") : gettext("just now");
    var m = Math.round(s / 60), h = Math.round(s / 3600), d = Math.round(s / 86400);
    if (m < 60) text = fill(gettext("%(n)s min"), { n: m });
    else if (h < 24) text = fill(gettext("%(n)s h"), { n: h });
    else if (d < 30) text = nfill(ngettext("%(n)s day", "%(n)s days", d), d);
    else return new Date(t).toLocaleDateString(LANG, { year: "numeric", month: "short", day: "numeric" });
    return fill(future ? gettext("in %(time)s") : gettext("%(time)s ago"), { time: text });
  }
  function absolute(iso) {
    var t = Date.parse(iso);
    return isNaN(t) ? iso : new Date(t).toLocaleString(LANG, { dateStyle: "medium", timeStyle: "long" });
  }
  function timeEl(iso) { return el("time", { datetime: iso, title: absolute(iso), text: ago(iso) }); }
  function upgradeTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      var iso = t.getAttribute("datetime");
      t.title = absolute(iso); t.textContent = ago(iso);
    });
  }
  upgradeTimes(document);
  setInterval(function () { upgradeTimes(document); }, 30000);

  /* ---------------- toast with Undo (also the `u` key) ---------------- */
  // Every action answers with the audit entries it wrote; Undo posts them to api/undo, a real
  // action on the server. The toast shows for UNDO_MS; the server allows a little longer.
  var UNDO_MS = 10000, UNDO_KEY = "civility-desk-undo";
  // Not a live region: the page's status line announces the same words.
  var toast = el("div", { "class": "mod-toast", id: "toast" });
  var toastMsg = el("span", { id: "toast-msg" });
  var toastUndo = el("button", { type: "button", id: "toast-undo", "aria-keyshortcuts": "u", text: gettext("Undo (u)") });
  toast.appendChild(toastMsg); toast.appendChild(toastUndo);
  toast.hidden = true;
  document.body.appendChild(toast);
  var lastUndo = null, toastTimer = null;
  function hideToast() { toast.hidden = true; lastUndo = null; clearTimeout(toastTimer); }
  function showToast(msg, undoIds, onUndone, ms) {
    clearTimeout(toastTimer);
    toastMsg.textContent = msg;
    lastUndo = undoIds && undoIds.length ? { ids: undoIds, msg: msg, after: onUndone } : null;
    toastUndo.hidden = !lastUndo;
    toast.hidden = false;
    toastTimer = setTimeout(function wait() {
      if (toast.contains(document.activeElement)) { toastTimer = setTimeout(wait, 1000); return; }
      hideToast();
    }, ms || UNDO_MS);
  }
  function undoLast() {
    var u = lastUndo;
    if (!u) return false;
    lastUndo = null; toastUndo.hidden = true;
    toastMsg.textContent = gettext("Undoing…");
    api("POST", "undo", { undo: u.ids }).then(function (d) {
      var failed = Object.keys(d.results).filter(function (k) { return !d.results[k].ok; }).length;
      var msg = fill(gettext("Undone: %(what)s"), { what: u.msg.charAt(0).toLowerCase() + u.msg.slice(1) }) +
        (failed ? " " + nfill(ngettext("(%(n)s action changed since, left as it is)", "(%(n)s actions changed since, left as they are)", failed), failed) : "");
      showToast(msg, null, null, 5000); say(msg);
      if (u.after) u.after(d, msg);
    }, function (err) {
      var no = fill(gettext("Not undone: %(error)s"), { error: err.message });
      showToast(no, null, null, 6000); say(no, true);
      if (u.after) u.after(null);
    });
    return true;
  }
  toastUndo.addEventListener("click", function () { undoLast(); });
  // Pages that reload after an action (comment and user pages) carry the toast over.
  function toastAfterReload(msg, ids) {
    try { sessionStorage.setItem(UNDO_KEY, JSON.stringify({ msg: msg, ids: ids, at: Date.now() })); } catch (e) { /* private mode */ }
    location.reload();
  }
  try {
    var carried = JSON.parse(sessionStorage.getItem(UNDO_KEY) || "null");
    sessionStorage.removeItem(UNDO_KEY);
    if (carried && Date.now() - carried.at < UNDO_MS) {
      // Undone here: reload to show the restored state, and say so there.
      showToast(carried.msg, carried.ids, function (d, msg) { if (d) toastAfterReload(msg, []); }, UNDO_MS - (Date.now() - carried.at));
      say(carried.msg);
    }
  } catch (e) { /* nothing carried */ }

  if (!API) return;

  /* ---------------- dialogs ---------------- */
  var dialog = document.getElementById("dialog");
  var dialogOpen = false;
  // fields: {name, label, value} (text), {name, label, options: [[v, text]]} (select) or
  // {name, label, choices: [[v, text]], checked: v} (radios; 1-9 pick, Enter confirms).
  function ask(title, fields) {
    return new Promise(function (resolve) {
      var body = document.getElementById("dialog-body");
      document.getElementById("dialog-title").textContent = title;
      body.innerHTML = "";
      fields.forEach(function (f) {
        if (f.choices) {
          var box = el("fieldset", { "class": "mod-choices", id: "dlg-" + f.name }, [el("legend", { text: f.label })]);
          f.choices.forEach(function (c, i) {
            var id = "dlg-" + f.name + "-" + c[0];
            var input = el("input", { type: "radio", name: f.name, id: id, value: c[0] });
            if (c[0] === f.checked) input.checked = true;
            box.appendChild(el("div", { "class": "mod-choice" }, [input, el("label", { "for": id },
              [i < 9 ? el("kbd", { text: String(i + 1) }) : null, " " + c[1], c[0] === f.flagged ? el("span", { "class": "mod-flagged", text: " " + gettext("(flagged)") }) : null])]));
          });
          body.appendChild(box);
          return;
        }
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
      dialogOpen = true;
      function value(f) {
        if (f.choices) { var c = body.querySelector("input[name='" + f.name + "']:checked"); return c ? c.value : ""; }
        return document.getElementById("dlg-" + f.name).value;
      }
      function finish(ok) {
        var out = null;
        if (ok) { out = {}; fields.forEach(function (f) { out[f.name] = value(f); }); }
        dialog.removeEventListener("close", onClose);
        dialog.removeEventListener("keydown", onKey);
        dialogOpen = false;
        if (dialog.open) dialog.close();
        resolve(out);
      }
      function onClose() { finish(dialog.returnValue === "ok"); }
      function onKey(e) {
        var t = e.target;
        if (t.type !== "radio" || e.ctrlKey || e.metaKey || e.altKey) return;
        if (e.key === "Enter") { e.preventDefault(); dialog.returnValue = "ok"; dialog.close(); }
        else if (/^[1-9]$/.test(e.key)) {
          var radios = t.closest("fieldset").querySelectorAll("input[type=radio]");
          var pick = radios[Number(e.key) - 1];
          if (pick) { e.preventDefault(); pick.checked = true; pick.focus(); }
        }
      }
      dialog.addEventListener("close", onClose);
      dialog.addEventListener("keydown", onKey);
      document.getElementById("dialog-cancel").onclick = function () { dialog.returnValue = "cancel"; dialog.close(); };
      dialog.returnValue = "";
      dialog.showModal();
      var first = body.querySelector("input:checked") || body.querySelector("input,select");
      if (first) { first.focus(); if (first.select && first.type !== "radio") first.select(); }
    });
  }

  // The ground the author's statement of reasons cites: the category the checks flagged is
  // preselected (card.ground, from the server), so r then Enter rejects with it.
  var GROUNDS = cfg.grounds || [["guidelines", gettext("Community guidelines")]];
  function groundLabel(code) {
    var g = GROUNDS.filter(function (x) { return x[0] === code; })[0];
    return g ? g[1] : code;
  }
  function askReason(title, preselected) {
    var checked = preselected || GROUNDS[0][0];
    return ask(title, [
      { name: "ground", label: gettext("Reason (the author sees it)"), choices: GROUNDS, checked: checked, flagged: preselected },
      { name: "note", label: gettext("Note to the author (optional)"), value: "" }
    ]).then(function (v) {
      if (!v) return null;
      var note = v.note.trim(), label = groundLabel(v.ground);
      return { ground: v.ground, note: note, reason: note ? label + ": " + note : label };
    });
  }

  /* ---------------- one comment's actions (queue card or comment page) ---------------- */
  // Resolves to {msg, undo} when done, null when the moderator cancelled a dialog.
  function commentAction(act, card) {
    var base = "comments/" + card.id + "/";
    function done(msg) { return function (d) { return { msg: msg, undo: d.undo || [], data: d }; }; }
    if (act === "approve") return api("POST", base + "approve", { expected_status: card.status }).then(done(fill(gettext("Approved #%(id)s"), { id: card.id })));
    if (act === "reject") return askReason(fill(gettext("Reject #%(id)s"), { id: card.id }), card.ground).then(function (r) {
      if (!r) return null;
      return api("POST", base + "reject", { reason: r.reason, ground: r.ground, note: r.note, expected_status: card.status })
        .then(done(fill(gettext("Rejected #%(id)s (%(ground)s)"), { id: card.id, ground: groundLabel(r.ground) })));
    });
    if (act === "feature") return api("POST", base + (card.featured ? "unfeature" : "feature"), {}).then(done(fill(card.featured ? gettext("Unfeatured #%(id)s") : gettext("Featured #%(id)s"), { id: card.id })));
    if (act === "dismiss") return api("POST", base + "dismiss", {}).then(function (d) { return { msg: nfill(ngettext("Dismissed %(n)s report on #%(id)s", "Dismissed %(n)s reports on #%(id)s", d.dismissed), d.dismissed, { id: card.id }), undo: d.undo || [] }; });
    if (act === "ban") return ask(fill(gettext("Ban or suspend %(name)s"), { name: card.author.name }), [
      { name: "period", label: gettext("Period"), options: [["ban", gettext("Ban (until lifted)")], ["24", gettext("Suspend 24 hours")], ["168", gettext("Suspend 7 days")], ["720", gettext("Suspend 30 days")]] },
      { name: "reason", label: gettext("Reason"), value: gettext("Repeated violations of the community guidelines") },
      { name: "pending", label: gettext("Their comments awaiting review"), options: [["reject", gettext("Reject them")], ["keep", gettext("Leave them in the queue")]] }
    ]).then(function (v) {
      if (!v) return null;
      var uid = card.author.id, body = { reason: v.reason, reject_pending: v.pending === "reject" };
      if (v.period === "ban") return api("POST", "users/" + uid + "/ban", body).then(done(fill(gettext("Banned %(name)s"), { name: card.author.name })));
      body.hours = Number(v.period);
      return api("POST", "users/" + uid + "/suspend", body).then(done(fill(gettext("Suspended %(name)s"), { name: card.author.name })));
    });
    return Promise.resolve(null);
  }

  /* ---------------- comment page ---------------- */
  var pageActions = document.getElementById("comment-actions");
  if (pageActions && cfg.comment) {
    var pageBusy = false;
    var runPage = function (act) {
      if (pageBusy || !pageActions.querySelector("[data-act='" + act + "']")) return;
      pageBusy = true;
      commentAction(act, cfg.comment).then(function (r) {
        pageBusy = false;
        if (r) toastAfterReload(r.msg, r.undo);
      }, function (err) { pageBusy = false; say(err.message, true); });
    };
    pageActions.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-act]");
      if (b) runPage(b.getAttribute("data-act"));
    });
    document.addEventListener("keydown", function (e) {
      if (dialogOpen || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      var acts = { a: "approve", r: "reject", f: "feature", d: "dismiss" };
      if (acts[e.key]) { e.preventDefault(); runPage(acts[e.key]); }
      else if (e.key === "u" && undoLast()) e.preventDefault();
    });
    return;
  }
  function typing(t) {
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
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
      var words = { ban: gettext("Banned"), suspend: gettext("Suspended"), unban: gettext("Lifted the ban or suspension") };
      api("POST", "users/" + uid + "/" + action, body).then(function (d) { toastAfterReload(words[action] || gettext("Done"), d.undo || []); },
        function (err) { say(err.message, true); });
    });
    var noteForm = document.getElementById("note-form");
    noteForm.addEventListener("submit", function (e) {
      e.preventDefault();
      api("POST", "users/" + uid + "/note", { text: document.getElementById("note-text").value })
        .then(function () { location.reload(); }, function (err) { say(err.message, true); });
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "u" && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target) && undoLast()) e.preventDefault();
    });
    return;
  }

  /* ---------------- queue page ---------------- */
  var list = document.getElementById("cards");
  if (!list) return;
  var tabs = document.getElementById("tabs");
  var live = document.getElementById("live");
  var selectionEl = document.getElementById("selection");
  var keysDialog = document.getElementById("keys");
  var storiesBox = document.getElementById("stories-box");
  // On a phone the story list starts folded, so the queue is on the first screen.
  if (storiesBox && window.matchMedia && window.matchMedia("(max-width: 50rem)").matches) storiesBox.open = false;
  var QUEUE_KEYS = Object.keys(cfg.queues);
  // `limit` grows by PAGE with "Show more"; every reload (after an action or a live event) asks
  // for that many, so the desk never drops cards the moderator has paged to.
  var PAGE = 50, MAX_PAGE = 500;
  // state.cards: the queue's comments as listed; state.campaigns: the campaign cards (near-same
  // comments from several accounts, api/campaigns); state.items: what the list shows and j/k
  // move over: each campaign as ONE item, then the comments that are in no campaign.
  var state = { cards: [], campaigns: [], campaignsAt: 0, items: [], expanded: {}, focus: 0, selected: {}, counts: {}, busy: false, limit: PAGE, want: undefined };
  var CAMPAIGN_QUEUES = ["pending", "reported", "unmoderated"];
  // Cards acted on here leave at once; a reload that started before the action finished
  // must not bring them back (gone[id] = when the action finished).
  var gone = {};

  function queueUrl(q) {
    var p = new URLSearchParams(); p.set("queue", q); if (cfg.story) p.set("story", cfg.story);
    return "?" + p.toString();
  }
  function renderTabs() {
    tabs.innerHTML = "";
    QUEUE_KEYS.forEach(function (q, i) {
      var n = state.counts[q] || 0;
      var a = el("a", { href: queueUrl(q), "data-queue": q, "aria-keyshortcuts": String(i + 1), title: fill(gettext("Key %(n)s"), { n: i + 1 }) },
        [el("kbd", { "class": "mod-tab-key", "aria-hidden": "true", text: String(i + 1) }), " " + cfg.queues[q] + " ",
         el("span", { "class": "mod-count", "aria-label": nfill(ngettext("%(n)s comment", "%(n)s comments", n), n), text: String(n) })]);
      if (q === cfg.queue) a.setAttribute("aria-current", "page");
      tabs.appendChild(a);
    });
    var cur = tabs.querySelector("[aria-current=page]");
    if (cur && tabs.scrollWidth > tabs.clientWidth) tabs.scrollLeft = Math.max(0, cur.offsetLeft - tabs.offsetLeft - 24);
  }
  function reasonList(card) {
    if (!card.reasons.length && !card.report_total) return null;
    var ul = el("ul", { "class": "mod-reasons", "aria-label": gettext("Why it is here") });
    card.reasons.forEach(function (r) {
      var text = r.message + (r.matched ? " — “" + r.matched + "”" : "");
      var spans = (r.spans || []).filter(function (s) { return s.text; });
      if (spans.length) text += " — " + spans.map(function (s) { return "“" + s.text + "”"; }).join(", ");
      ul.appendChild(el("li", { "class": "mod-reason-" + r.action, text: text }));
    });
    if (card.report_total) {
      var parts = Object.keys(card.reports).map(function (k) { return k + " ×" + card.reports[k]; });
      ul.appendChild(el("li", { "class": "mod-reason-report", text: nfill(ngettext("%(n)s open report: %(kinds)s", "%(n)s open reports: %(kinds)s", card.report_total), card.report_total, { kinds: parts.join(", ") }) }));
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
    var bits = [nfill(ngettext("%(n)s comment", "%(n)s comments", a.comments), a.comments), fill(gettext("%(n)s rejected"), { n: a.rejected }),
                nfill(ngettext("%(n)s report", "%(n)s reports", a.reports), a.reports), nfill(ngettext("account %(n)s day old", "account %(n)s days old", a.account_age_days), a.account_age_days)];
    if (a.banned) bits.push(gettext("BANNED"));
    var p = el("p", { "class": "mod-history" }, [el("a", { href: "users/" + a.id + "/", text: a.name }), " · " + bits.join(" · ")]);
    if (a.suspended_until) { p.appendChild(document.createTextNode(" · " + gettext("suspended until") + " ")); p.appendChild(el("time", { datetime: a.suspended_until, title: absolute(a.suspended_until), text: absolute(a.suspended_until) })); }
    if (a.notes && a.notes.length) p.appendChild(el("span", { "class": "mod-note", text: " · " + fill(gettext("note: %(text)s"), { text: a.notes[a.notes.length - 1].text }) }));
    return p;
  }
  function cardNode(card, i) {
    var li = el("li", { "class": "mod-card mod-item", tabindex: "-1", "data-id": String(card.id), "data-status": card.status, "aria-label": fill(gettext("Comment #%(id)s by %(name)s"), { id: card.id, name: card.author.name }) });
    if (state.selected[card.id]) li.classList.add("mod-selected");
    var head = el("header", { "class": "mod-card-head" }, [
      el("span", { "class": "mod-badge mod-status-" + card.status, text: STATUS[card.status] ? STATUS[card.status]() : card.status }),
      state.selected[card.id] ? el("span", { "class": "mod-badge mod-badge-selected", text: gettext("selected") }) : null,
      card.featured ? el("span", { "class": "mod-badge", text: gettext("featured") }) : null,
      card.unscored ? el("span", { "class": "mod-badge mod-unscored", title: gettext("The model did not score this comment"), text: fill(gettext("not scored: %(why)s"), { why: card.unscored }) }) : null,
      el("a", { href: "comments/" + card.id + "/", text: "#" + card.id }), " " + gettext("on") + " ",
      el("a", { href: card.story.url, target: "_blank", rel: "noopener", text: card.story.title }),
      " ", el("a", { href: queueUrl(cfg.queue).replace(/&story=\d+/, "") + "&story=" + card.story.id, text: gettext("(story queue)") }),
      " ", timeEl(card.created_at)
    ]);
    li.appendChild(head);
    if (card.parent) li.appendChild(el("blockquote", { "class": "mod-parent", text: fill(gettext("In reply to %(name)s: %(text)s"), { name: card.parent.author, text: card.parent.body }) }));
    li.appendChild(el("div", { "class": "mod-body", html: card.body_html }));
    var why = reasonList(card); if (why) li.appendChild(why);
    var sb = scoreBar(card); if (sb) li.appendChild(sb);
    if (card.rejection_reason) li.appendChild(el("p", { "class": "mod-rejection", text: fill(gettext("Rejected: %(reason)s"), { reason: card.rejection_reason }) }));
    li.appendChild(history(card.author));
    var buttons = el("div", { "class": "mod-actions" }, [
      btn(gettext("Approve (a)"), "approve"), btn(gettext("Reject (r)"), "reject"), btn(card.featured ? gettext("Unfeature (f)") : gettext("Feature (f)"), "feature"),
      card.report_total ? btn(gettext("Dismiss reports (d)"), "dismiss") : null, btn(gettext("Ban author (b)"), "ban")
    ]);
    li.appendChild(buttons);
    li.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-act]");
      state.focus = i; paintFocus(false);
      if (b) run(b.getAttribute("data-act"));
    });
    return li;
  }
  // A card's status in words (the status itself stays the CSS class and data attribute).
  var STATUS = { pending: function () { return gettext("pending"); }, approved: function () { return gettext("approved"); },
                 rejected: function () { return gettext("rejected"); }, deleted: function () { return gettext("deleted"); } };
  function btn(label, act) { return el("button", { type: "button", "data-act": act, text: label }); }

  /* ---- campaign cards: one item in the list, acted on as a whole (a, r), o shows its members ---- */
  function itemKey(it) { return it.campaign ? "campaign:" + it.ids[0] : it.id; }
  function itemIndex(key) {
    return state.items.findIndex(function (it) { return itemKey(it) === key || (it.campaign && it.ids.indexOf(key) >= 0); });
  }
  function buildItems() {
    var member = {};
    var camps = state.campaigns.filter(function (c) {
      // A campaign acted on here leaves at once, like a card (the next reload confirms).
      return !c.ids.some(function (id) { return gone[id] && state.campaignsAt <= gone[id]; });
    }).map(function (c) { return Object.assign({ campaign: true }, c); });
    camps.forEach(function (c) { c.ids.forEach(function (id) { member[id] = 1; delete state.selected[id]; }); });
    state.items = camps.concat(state.cards.filter(function (c) { return !member[c.id]; }));
    document.body.setAttribute("data-campaigns", String(camps.length));
  }
  function campaignNode(c, i) {
    var key = itemKey(c), dom = "campaign-" + c.ids[0], n = c.ids.length, open = !!state.expanded[key];
    var li = el("li", { "class": "mod-item dsa-campaign", tabindex: "-1", "data-ids": c.ids.join(","), "aria-labelledby": dom + "-title" });
    li.appendChild(el("h2", { id: dom + "-title", text: fill(gettext("Campaign: %(comments)s near-same comments from %(accounts)s accounts"), { comments: n, accounts: c.accounts }) }));
    li.appendChild(el("p", { "class": "mod-card-head" }, [
      timeEl(c.first_at), " – ", timeEl(c.last_at), " · " + nfill(ngettext("%(n)s story", "%(n)s stories", c.stories), c.stories) + " · " + c.authors.join(", ")
    ]));
    if (c.in_story !== null && c.in_story !== undefined && c.in_story < n) {
      // A story's queue shows the campaigns that reached it, whole: say what a/r will touch.
      li.appendChild(el("p", { "class": "dsa-scope", text: fill(gettext("%(here)s of the %(n)s comments are on this story; approving or rejecting acts on all %(n)s, on %(stories)s stories."), { here: c.in_story, n: n, stories: c.stories }) }));
    }
    li.appendChild(el("blockquote", { "class": "mod-body", text: c.sample }));
    var toggle = el("button", { type: "button", "data-act": "expand", "aria-expanded": open ? "true" : "false", "aria-controls": dom + "-members",
      text: open ? gettext("Hide the comments (o)") : nfill(ngettext("Show the %(n)s comment (o)", "Show the %(n)s comments (o)", n), n) });
    li.appendChild(el("div", { "class": "mod-actions" }, [
      btn(nfill(gettext("Approve all %(n)s (a)"), n), "approve"), btn(nfill(gettext("Reject all %(n)s (r)"), n), "reject"), toggle
    ]));
    var members = el("ul", { "class": "dsa-members", id: dom + "-members", "aria-label": gettext("Comments of this campaign") });
    members.hidden = !open;
    (c.members || []).forEach(function (m) {
      members.appendChild(el("li", { "class": "dsa-member", "data-id": String(m.id) }, [
        el("a", { href: "comments/" + m.id + "/", text: "#" + m.id }),
        " " + fill(gettext("by %(name)s on %(story)s"), { name: m.author, story: m.story }) + " · ", timeEl(m.created_at),
        el("p", { "class": "dsa-member-text", text: m.text })
      ]));
    });
    li.appendChild(members);
    li.addEventListener("click", function (e) {
      if (e.target.closest("a")) return;
      var b = e.target.closest("button[data-act]");
      state.focus = i; paintFocus(false);
      if (b) run(b.getAttribute("data-act"));
    });
    return li;
  }
  function campaignAction(act, c) {
    var n = c.ids.length, key = itemKey(c);
    if (act === "expand") { state.expanded[key] = !state.expanded[key]; render(key); paintFocus(true); return; }
    if (act !== "approve" && act !== "reject") {
      say(gettext("A campaign is approved or rejected as a whole (a, r); o shows its comments, each opens on its own page."), true);
      return;
    }
    state.busy = true;
    var p = act === "approve" ? Promise.resolve({})
      : askReason(nfill(ngettext("Reject the campaign: %(n)s comment", "Reject the campaign: %(n)s comments", n), n), "spam");
    p.then(function (r) {
      if (!r) { state.busy = false; render(key); paintFocus(true); return; }
      var body = { ids: c.ids, action: act };
      if (act === "reject") { body.reason = r.reason; body.ground = r.ground; }
      return api("POST", "campaigns", body).then(function (d) {
        state.busy = false;
        var done = c.ids.filter(function (id) { return d.results[String(id)] && d.results[String(id)].ok; });
        var msg = act === "approve"
          ? nfill(ngettext("Approved %(n)s comment of the campaign", "Approved %(n)s comments of the campaign", done.length), done.length)
          : nfill(ngettext("Rejected %(n)s comment of the campaign", "Rejected %(n)s comments of the campaign", done.length), done.length);
        if (leaves(act, "pending")) drop(c.ids);
        showToast(msg, d.undo || [], restored(c.ids));
        say(msg);
        load().then(function () { paintFocus(true); });
      });
    }).catch(function (err) {
      state.busy = false;
      say(err.message, true);
      load().then(function () { paintFocus(true); });
    });
  }

  function render(keepId) {
    renderTabs();
    buildItems();
    list.innerHTML = "";
    if (keepId !== undefined) {
      var idx = itemIndex(keepId);
      if (idx >= 0) state.focus = idx;
    }
    if (state.focus >= state.items.length) state.focus = Math.max(0, state.items.length - 1);
    state.items.forEach(function (it, i) { list.appendChild(it.campaign ? campaignNode(it, i) : cardNode(it, i)); });
    if (!state.items.length) list.appendChild(el("li", { "class": "mod-empty", text: gettext("Nothing in this queue.") }));
    var left = (state.counts[cfg.queue] || 0) - state.cards.length;
    if (left > 0) {
      var step = Math.min(PAGE, left, MAX_PAGE - state.limit);
      var more;
      if (step > 0) {
        more = el("button", { type: "button", id: "show-more", text: fill(gettext("Show %(step)s more (%(left)s not shown)"), { step: step, left: left }) });
        more.addEventListener("click", function () { state.limit = Math.min(MAX_PAGE, state.limit + PAGE); load(); });
      } else {
        more = el("span", { text: fill(gettext("%(left)s more not shown: handle these first, or open a story's queue."), { left: left }) });
      }
      list.appendChild(el("li", { "class": "mod-more" }, [more]));
    }
    var n = Object.keys(state.selected).length;
    selectionEl.textContent = n ? nfill(ngettext("%(n)s comment selected (A approve all, R reject all)", "%(n)s comments selected (A approve all, R reject all)", n), n) : "";
    paintFocus(false);
  }
  function paintFocus(scroll) {
    var nodes = list.querySelectorAll(".mod-item");
    nodes.forEach(function (n, i) { n.classList.toggle("mod-focused", i === state.focus); n.setAttribute("aria-current", i === state.focus ? "true" : "false"); });
    var cur = nodes[state.focus];
    if (cur && !dialogOpen && (document.activeElement === document.body || list.contains(document.activeElement) || scroll)) {
      cur.focus({ preventScroll: !scroll });
      if (scroll) cur.scrollIntoView({ block: "nearest" });
    }
  }
  function current() { return state.items[state.focus]; }

  // One reload at a time; asking while one runs queues one more, and the promise returned is
  // that later one's, which sees every change made before the call.
  var loading = null, queued = null, queuedDone = null;
  function load() {
    if (loading) {
      if (!queued) queued = new Promise(function (resolve) { queuedDone = resolve; });
      return queued;
    }
    var started = Date.now();
    var q = "queue?queue=" + encodeURIComponent(cfg.queue) + (cfg.story ? "&story=" + cfg.story : "") + "&limit=" + state.limit;
    // Campaign cards: grouped over the site's queue, only those reaching this story when filtered.
    var cq = CAMPAIGN_QUEUES.indexOf(cfg.queue) < 0 ? null
      : "campaigns?queue=" + encodeURIComponent(cfg.queue) + (cfg.story ? "&story=" + cfg.story : "");
    var campaignsP = cq ? api("GET", cq).catch(function () { return { campaigns: [] }; }) : Promise.resolve({ campaigns: [] });
    loading = Promise.all([api("GET", q), campaignsP]).then(function (got) {
      var data = got[0];
      state.campaigns = got[1].campaigns || [];
      state.campaignsAt = started;
      var keep = current() ? itemKey(current()) : undefined;
      // A card brought back by an undo takes the focus once it is listed again.
      if (state.want !== undefined && data.cards.some(function (c) { return c.id === state.want; })) { keep = state.want; state.want = undefined; }
      Object.keys(gone).forEach(function (id) { if (Date.now() - gone[id] > 60000) delete gone[id]; });
      state.cards = data.cards.filter(function (c) { return !(gone[c.id] && started <= gone[c.id]); });
      state.counts = data.counts;
      var ids = {}; state.cards.forEach(function (c) { ids[c.id] = 1; });
      Object.keys(state.selected).forEach(function (id) { if (!ids[id]) delete state.selected[id]; });
      if (!dialogOpen) render(keep);
      document.body.setAttribute("data-loaded", "1");
    }, function (err) { say(err.message, true); }).then(function () {
      loading = null;
      if (queued) { var done = queuedDone; queued = null; load().then(done); }
    });
    return loading;
  }
  // Take cards out of the list now (the server has answered); the next reload confirms.
  function drop(ids) {
    var now = Date.now();
    ids.forEach(function (id) { gone[id] = now; delete state.selected[id]; });
    var before = state.cards.length;
    state.cards = state.cards.filter(function (c) { return !gone[c.id]; });
    var removed = before - state.cards.length;
    if (removed && state.counts[cfg.queue] !== undefined) state.counts[cfg.queue] = Math.max(0, state.counts[cfg.queue] - removed);
    render();  // keeps the focus's position, within the shorter list
  }
  // Whether an action on a card takes it out of the queue on show.
  function leaves(act, status) {
    if (cfg.queue === "reported") return act === "dismiss";  // open reports keep it there
    if (act === "approve") return cfg.queue !== "approved" || status !== "approved";
    if (act === "reject") return cfg.queue !== "rejected";
    return false;
  }
  function restored(ids) {
    return function (d) {
      ids.forEach(function (id) { delete gone[id]; });
      if (d) {
        state.want = ids[0];
        // A reload that began after the undo landed may have listed the card already.
        if (itemIndex(ids[0]) >= 0) { state.want = undefined; render(ids[0]); }
      }
      load().then(function () { paintFocus(true); });
    };
  }

  function run(act) {
    var card = current();
    if (!card || state.busy) return;
    if (card.campaign) { campaignAction(act, card); return; }
    state.busy = true;
    commentAction(act, card).then(function (r) {
      state.busy = false;
      if (!r) { render(card.id); paintFocus(true); return; }
      if (leaves(act, card.status)) drop([card.id]);
      showToast(r.msg, r.undo, restored([card.id]));
      say(r.msg);
      load().then(function () { paintFocus(true); });
    }, function (err) {
      state.busy = false;
      say(err.message, true);
      load().then(function () { paintFocus(true); });
    });
  }
  function bulk(action) {
    var ids = Object.keys(state.selected).map(Number);
    if (!ids.length) { say(gettext("Select comments with x first."), true); return; }
    var first = state.cards.filter(function (c) { return state.selected[c.id]; })[0];
    var p = action === "approve" ? Promise.resolve({ reason: "" })
      : askReason(nfill(ngettext("Reject %(n)s comment", "Reject %(n)s comments", ids.length), ids.length), first ? first.ground : null);
    p.then(function (r) {
      if (r === null) { render(); return; }
      return api("POST", "bulk", { action: action, ids: ids, reason: r.reason, ground: r.ground, note: r.note }).then(function (d) {
        var failed = Object.keys(d.results).filter(function (k) { return !d.results[k].ok; });
        var done = ids.filter(function (id) { return d.results[String(id)] && d.results[String(id)].ok; });
        state.selected = {};
        drop(done.filter(function (id) {
          var c = state.cards.filter(function (x) { return x.id === id; })[0];
          return leaves(action, c ? c.status : "pending");
        }));
        var msg = (action === "approve" ? nfill(ngettext("Approved %(n)s comment", "Approved %(n)s comments", done.length), done.length)
                                        : nfill(ngettext("Rejected %(n)s comment", "Rejected %(n)s comments", done.length), done.length)) +
          (failed.length ? " " + fill(gettext("(%(n)s already handled)"), { n: failed.length }) : "");
        showToast(msg, d.undo, restored(done));
        say(failed.length ? nfill(ngettext("%(n)s comment already handled by someone else", "%(n)s comments already handled by someone else", failed.length), failed.length) : "", failed.length > 0);
      }, function (err) { say(err.message, true); });
    }).then(load);
  }
  function openKeys() { if (keysDialog && !keysDialog.open) keysDialog.showModal(); }
  if (keysDialog) keysDialog.addEventListener("keydown", function (e) {
    if (e.key === "?") { e.preventDefault(); keysDialog.close(); }
  });
  document.getElementById("keys-open").addEventListener("click", openKeys);
  if (keysDialog) keysDialog.addEventListener("close", function () { paintFocus(false); });

  document.addEventListener("keydown", function (e) {
    if (dialogOpen || (keysDialog && keysDialog.open) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target)) return;
    var k = e.key, handled = true;
    if (k === "j" || k === "ArrowDown") { state.focus = Math.max(0, Math.min(state.focus + 1, state.items.length - 1)); paintFocus(true); }
    else if (k === "k" || k === "ArrowUp") { state.focus = Math.max(state.focus - 1, 0); paintFocus(true); }
    else if (k === "a") run("approve");
    else if (k === "r") run("reject");
    else if (k === "b") run("ban");
    else if (k === "f") run("feature");
    else if (k === "d") run("dismiss");
    else if (k === "u") handled = undoLast();
    else if (k === "?") openKeys();
    else if (k === "o" && current() && current().campaign) run("expand");
    else if (k === "o" && current()) location.href = "comments/" + current().id + "/";
    else if (k === "x" && current() && current().campaign) run("select");
    else if (k === "x" && current()) { var id = current().id; if (state.selected[id]) delete state.selected[id]; else state.selected[id] = 1; render(id); }
    else if (k === "A") bulk("approve");
    else if (k === "R") bulk("reject");
    else if (/^[1-9]$/.test(k) && QUEUE_KEYS[Number(k) - 1]) location.href = queueUrl(QUEUE_KEYS[Number(k) - 1]);
    else handled = false;
    if (handled) e.preventDefault();
  });

  var toggle = document.getElementById("story-toggle");
  if (toggle) toggle.addEventListener("click", function () {
    var closed = toggle.getAttribute("data-closed") === "1";
    api("POST", "stories/" + toggle.getAttribute("data-story") + "/" + (closed ? "open" : "close"), {})
      .then(function (d) { toastAfterReload(closed ? gettext("Opened comments on this story") : gettext("Closed comments on this story"), d.undo || []); },
        function (err) { say(err.message, true); });
  });

  /* ---- live: SSE, else polling ---- */
  var timer = null;
  function soon() { clearTimeout(timer); timer = setTimeout(load, 150); }
  function poll() { live.textContent = gettext("refreshing every 10 s"); setInterval(load, 10000); }
  if (window.EventSource) {
    var es = new EventSource(API + "events");
    es.addEventListener("ready", function () { live.textContent = gettext("live"); document.body.setAttribute("data-live", "1"); });
    es.addEventListener("queue", soon);
    es.onerror = function () { live.textContent = gettext("reconnecting…"); };
  } else poll();
  load();
})();
