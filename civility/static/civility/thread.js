/* Civility thread widget (runs inside the iframe). Plain DOM, no dependencies.
 * Server HTML (comment bodies) is sanitized at write time; everything else goes in as text. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("civility-config").textContent);
  var root = document.getElementById("civility");
  var API = cfg.api, story = cfg.story;
  var state = { sort: "newest", nextOffset: null, token: null, user: null, reacted: {},
                focus: null, seen: {}, total: 0 };
  var TOKEN_KEY = "civility-token:" + cfg.site;

  function el(tag, attrs, children) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") n.textContent = attrs[k];
      else if (k === "on") Object.keys(attrs.on).forEach(function (ev) { n.addEventListener(ev, attrs.on[ev]); });
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) n.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) n.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return n;
  }

  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.token) headers["Authorization"] = "Bearer " + state.token;
    return fetch(API + path, { method: method, headers: headers, credentials: "omit",
                               body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) {
            var err = new Error((data.error && data.error.message) || ("HTTP " + r.status));
            err.code = data.error && data.error.code; err.status = r.status;
            if (r.status === 401 && state.token && err.code === "unauthenticated") signOut();
            throw err;
          }
          return data;
        });
      });
  }

  /* ---- layout ---- */
  var live = el("div", { "class": "civ-live", "role": "status", "aria-live": "polite" });
  var countEl = el("h2", { "class": "civ-count", id: "civ-count" });
  var sortSel = el("select", { id: "civ-sort", on: { change: function () { state.sort = sortSel.value; load(); } } }, [
    el("option", { value: "newest", text: "Newest first" }),
    el("option", { value: "oldest", text: "Oldest first" }),
    el("option", { value: "reactions", text: "Most liked" })
  ]);
  var authBox = el("div", { "class": "civ-auth" });
  var composer = el("div", { "class": "civ-composer" });
  var list = el("ol", { "class": "civ-list", "aria-labelledby": "civ-count" });
  var focusBar = el("div", { "class": "civ-focus", hidden: true });
  var more = el("button", { type: "button", "class": "civ-more", hidden: true, text: "Load more comments",
                            on: { click: function () { load(true); } } });
  root.appendChild(el("header", { "class": "civ-head" }, [
    countEl, el("label", { "for": "civ-sort", "class": "civ-sort-label" }, ["Sort ", sortSel])
  ]));
  root.appendChild(authBox);
  root.appendChild(composer);
  root.appendChild(live);
  root.appendChild(focusBar);
  root.appendChild(list);
  root.appendChild(more);

  function say(msg) { live.textContent = ""; setTimeout(function () { live.textContent = msg; }, 30); }

  /* ---- resize the iframe to its content ---- */
  function postHeight() {
    parent.postMessage({ civility: "height", height: document.documentElement.scrollHeight }, "*");
  }
  if (window.ResizeObserver) new ResizeObserver(postHeight).observe(document.body);
  window.addEventListener("load", postHeight);

  /* ---- accounts ---- */
  function setSession(data) {
    state.token = data.token; state.user = data.user;
    try { localStorage.setItem(TOKEN_KEY, data.token); } catch (e) { /* storage may be blocked */ }
    renderAuth(); renderComposer(); loadMine().then(function () { render(); });
  }
  function signOut() {
    state.token = null; state.user = null; state.reacted = {};
    try { localStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
    renderAuth(); renderComposer(); render();
  }
  function field(id, label, type, extra) {
    var input = el("input", Object.assign({ id: id, name: id, type: type, required: true }, extra || {}));
    return [el("label", { "for": id, text: label }), input];
  }
  function authForm(kind) {
    var f = el("form", { "class": "civ-form", "aria-label": kind });
    var err = el("p", { "class": "civ-error", role: "alert" });
    var fields;
    if (kind === "Sign in") fields = field("civ-email", "Email", "email", { autocomplete: "email" }).concat(field("civ-password", "Password", "password", { autocomplete: "current-password" }));
    else if (kind === "Create account") fields = field("civ-email", "Email", "email", { autocomplete: "email" }).concat(field("civ-name", "Display name", "text", { maxlength: 80 })).concat(field("civ-password", "Password", "password", { autocomplete: "new-password", minlength: 8 }));
    else fields = field("civ-name", "Your name", "text", { maxlength: 80 });
    fields.forEach(function (n) { f.appendChild(n); });
    f.appendChild(el("button", { type: "submit", text: kind }));
    f.appendChild(err);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var v = function (id) { var n = f.querySelector("#" + id); return n ? n.value : ""; };
      var p = kind === "Sign in" ? api("POST", "/auth/login", { email: v("civ-email"), password: v("civ-password") })
        : kind === "Create account" ? api("POST", "/auth/signup", { email: v("civ-email"), password: v("civ-password"), display_name: v("civ-name") })
        : api("POST", "/auth/guest", { site: cfg.site, name: v("civ-name") });
      p.then(setSession, function (x) { err.textContent = x.message; });
    });
    return f;
  }
  function renderAuth() {
    authBox.textContent = "";
    if (state.user) {
      var panel = el("section", { "class": "civ-account", id: "civ-account", "aria-label": "Your account and data", hidden: true });
      var toggle = el("button", { type: "button", "class": "civ-link", text: "Your data", "aria-expanded": "false",
        "aria-controls": "civ-account", on: { click: function () {
          var open = panel.hidden; panel.hidden = !open; toggle.setAttribute("aria-expanded", open ? "true" : "false");
          if (open) renderAccount(panel); postHeight();
        } } });
      authBox.appendChild(el("p", {}, ["Signed in as ", el("strong", { text: state.user.name }), " ",
        el("button", { type: "button", "class": "civ-link", text: "Sign out", on: { click: signOut } }), " ", toggle]));
      authBox.appendChild(panel);
      return;
    }
    if (cfg.sso && !cfg.allowLocalAccounts && !cfg.allowGuests) {
      authBox.appendChild(el("p", { text: "Sign in on this site to join the discussion." }));
      return;
    }
    var holder = el("div", {});
    var choices = [];
    if (cfg.allowLocalAccounts) choices.push("Sign in", "Create account");
    if (cfg.allowGuests) choices.push("Comment as guest");
    var bar = el("p", { "class": "civ-auth-choices" }, ["Join the discussion: "]);
    choices.forEach(function (c) {
      bar.appendChild(el("button", { type: "button", "class": "civ-link", text: c, on: { click: function () {
        holder.textContent = ""; var f = authForm(c); holder.appendChild(f); f.querySelector("input").focus();
      } } }));
    });
    authBox.appendChild(bar); authBox.appendChild(holder);
  }

  /* ---- your data: a copy of it (GDPR Art. 15/20) and deleting the account (Art. 17) ---- */
  function renderAccount(panel) {
    panel.textContent = "";
    var err = el("p", { "class": "civ-error", role: "alert" });
    panel.appendChild(el("h3", { text: "Your account and data" }));
    panel.appendChild(el("p", { text: "Download a copy of everything stored about you here: your profile, comments, likes and reports." }));
    panel.appendChild(el("button", { type: "button", text: "Download my data", on: { click: function () {
      err.textContent = "";
      api("GET", "/me/export").then(function (data) {
        var blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
        var a = el("a", { href: URL.createObjectURL(blob), download: "civility-my-data.json", hidden: true });
        document.body.appendChild(a); a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
        say("Your data is downloading.");
      }, function (x) { err.textContent = x.message; });
    } } }));
    var deleteBox = el("div", { "class": "civ-delete" });
    deleteBox.appendChild(el("button", { type: "button", "class": "civ-link civ-danger", text: "Delete my account", on: { click: function () {
      api("GET", "/me").then(function (me) { deleteForm(deleteBox, me.account); }, function (x) { err.textContent = x.message; });
    } } }));
    panel.appendChild(deleteBox);
    panel.appendChild(err);
  }
  function deleteForm(box, account) {
    box.textContent = "";
    var err = el("p", { "class": "civ-error", role: "alert" });
    var f = el("form", { "class": "civ-form", "aria-label": "Delete my account" }, [
      el("p", { "class": "civ-warning", text: "Deleting your account cannot be undone. Your comments stay in their threads as \u201cThis comment " +
        "was deleted.\u201d, so replies keep their place; your name, e-mail, likes and report messages are erased." })
    ]);
    if (account.has_password) {
      f.appendChild(el("label", { "for": "civ-delete-password", text: "Your password" }));
      f.appendChild(el("input", { id: "civ-delete-password", type: "password", required: true, autocomplete: "current-password" }));
    }
    var tick = el("input", { id: "civ-delete-confirm", type: "checkbox", required: true });
    f.appendChild(el("label", { "for": "civ-delete-confirm", "class": "civ-check" }, [tick, " I understand: delete my account and erase my data"]));
    f.appendChild(el("div", { "class": "civ-actions" }, [
      el("button", { type: "submit", "class": "civ-danger", text: "Delete my account permanently" }),
      el("button", { type: "button", "class": "civ-link", text: "Cancel", on: { click: function () { renderAuth(); } } })
    ]));
    f.appendChild(err);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var pw = f.querySelector("#civ-delete-password");
      api("DELETE", "/me", { confirm: tick.checked, password: pw ? pw.value : "" }).then(function (d) {
        signOut(); say(d.message); load();
      }, function (x) { err.textContent = x.message; });
    });
    box.appendChild(f);
    (f.querySelector("input") || tick).focus();
    postHeight();
  }

  /* ---- posting ---- */
  function editorForm(opts) {
    var id = "civ-body-" + (opts.key || "new");
    var ta = el("textarea", { id: id, rows: 4, maxlength: cfg.maxLength, required: true });
    ta.value = opts.value || "";
    var err = el("p", { "class": "civ-error", role: "alert" });
    var f = el("form", { "class": "civ-form civ-editor" }, [
      el("label", { "for": id, text: opts.label }), ta,
      el("p", { "class": "civ-hint", text: "**bold**, *italic*, > quote, links." }),
      el("div", { "class": "civ-actions" }, [
        el("button", { type: "submit", text: opts.submit }),
        opts.cancel ? el("button", { type: "button", "class": "civ-link", text: "Cancel", on: { click: opts.cancel } }) : null
      ]), err
    ]);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var btn = f.querySelector("button[type=submit]"); btn.disabled = true;
      opts.send(ta.value).then(function (data) {
        ta.value = ""; err.textContent = ""; btn.disabled = false; opts.done(data);
      }, function (x) { err.textContent = x.message; btn.disabled = false; });
    });
    return f;
  }
  function renderComposer() {
    composer.textContent = "";
    if (story.closed) { composer.appendChild(el("p", { "class": "civ-closed", text: "Comments on this story are closed." })); return; }
    if (!state.user) return;
    composer.appendChild(editorForm({ label: "Add a comment", submit: "Post comment",
      send: function (body) { return api("POST", "/stories/" + story.id + "/comments", { body: body }); },
      done: posted }));
  }
  function posted(data) {
    var c = data.comment; c.replies = c.replies || [];
    if (c.status !== "deleted") insert(c, true);
    say(data.message + (data.reasons && data.reasons.length && c.status !== "approved" ? " " + data.reasons.join(" ") : ""));
  }

  /* ---- thread ---- */
  var byId = {};
  var roots = [];
  function index(c) { byId[c.id] = c; state.seen[c.id] = true; (c.replies || []).forEach(index); }
  function insert(c, mine) {
    if (byId[c.id]) { Object.assign(byId[c.id], c); render(); return; }
    c.replies = c.replies || []; c.mine = mine || (state.user && c.author && c.author.id === state.user.id);
    index(c);
    if (c.parent_id && byId[c.parent_id]) byId[c.parent_id].replies.push(c);
    else if (!c.parent_id) { if (state.sort === "oldest") roots.push(c); else roots.unshift(c); }
    else return;
    if (c.status === "approved") state.total += 1;
    render();
  }
  function load(append) {
    var off = append ? state.nextOffset : 0;
    return api("GET", "/stories/" + story.id + "/comments?sort=" + state.sort + "&offset=" + off + "&limit=50").then(function (data) {
      if (!append) { roots = []; byId = {}; }
      data.comments.forEach(function (c) { if (!byId[c.id]) { index(c); roots.push(c); } });
      state.nextOffset = data.next_offset; state.total = data.total;
      if (data.story.closed !== story.closed) { story.closed = data.story.closed; renderComposer(); }
      return loadMine();
    }).then(render, function (x) { say("Could not load comments: " + x.message); });
  }
  function loadMine() {
    if (!state.token) return Promise.resolve();
    return api("GET", "/stories/" + story.id + "/me").then(function (data) {
      state.reacted = {}; data.reacted.forEach(function (id) { state.reacted[id] = true; });
      data.pending.concat(data.rejected || []).forEach(function (c) { if (!byId[c.id]) { c.replies = []; insert(c, true); } });
    }, function () { /* an expired token just means signed out */ });
  }
  function timeText(iso) {
    var d = new Date(iso);
    return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }
  function withinWindow(c) { return Date.now() - new Date(c.created_at).getTime() < cfg.editWindowSeconds * 1000; }

  function commentNode(c, depth) {
    var li = el("li", { "class": "civ-comment" + (c.status === "pending" ? " civ-pending" : ""), id: "c" + c.id, "data-id": c.id });
    var art = el("article", { "aria-labelledby": "a" + c.id });
    li.appendChild(art);
    if (c.status === "deleted" || (c.status === "rejected" && !c.mine)) {
      art.appendChild(el("p", { "class": "civ-deleted", id: "a" + c.id,
        text: c.status === "deleted" ? "This comment was deleted." : "This comment was removed by a moderator." }));
    } else {
      var name = el("span", { "class": "civ-author", text: c.author ? c.author.name : "" });
      var head = el("header", { id: "a" + c.id }, [name]);
      (c.author && c.author.badges || []).forEach(function (b) { head.appendChild(el("span", { "class": "civ-badge", text: String(b) })); });
      head.appendChild(el("time", { datetime: c.created_at, text: timeText(c.created_at) }));
      if (c.edited) head.appendChild(el("span", { "class": "civ-edited", text: "(edited)" }));
      if (c.featured) head.appendChild(el("span", { "class": "civ-badge civ-featured", text: "Featured" }));
      if (c.status === "pending") head.appendChild(el("span", { "class": "civ-pending-label", text: "Awaiting moderation" }));
      // Only the author sees their rejected comment, with the reason the moderator gave.
      if (c.status === "rejected") head.appendChild(el("span", { "class": "civ-pending-label civ-rejected-label",
        text: "Rejected" + (c.rejection_reason ? ": " + c.rejection_reason : "") }));
      art.appendChild(head);
      var body = el("div", { "class": "civ-body" });
      body.innerHTML = c.html; // sanitized by the server (nh3 allow-list); CSP forbids inline script
      art.appendChild(body);
      if (c.status !== "rejected") art.appendChild(actionsBar(c, li));
    }
    var reps = c.replies || [];
    if (reps.length && depth >= cfg.visualDepth && state.focus !== c.id) {
      li.appendChild(el("button", { type: "button", "class": "civ-link civ-continue", text: "Continue this thread (" + countAll(c) + " more)",
        on: { click: function () { focusOn(c.id); } } }));
    } else if (reps.length) {
      var ol = el("ol", { "class": "civ-replies", "aria-label": "Replies" });
      reps.forEach(function (r) { ol.appendChild(commentNode(r, depth + 1)); });
      li.appendChild(ol);
    } else if (c.more_replies) {
      li.appendChild(el("button", { type: "button", "class": "civ-link civ-continue", text: "Continue this thread (" + c.more_replies + " more)",
        on: { click: function () { focusOn(c.id); } } }));
    }
    return li;
  }
  function countAll(c) { return (c.replies || []).reduce(function (n, r) { return n + 1 + countAll(r); }, 0); }

  function actionsBar(c, li) {
    var bar = el("div", { "class": "civ-actions" });
    if (c.status !== "approved" && !c.mine) return bar;
    if (c.status === "approved") {
      var pressed = !!state.reacted[c.id];
      bar.appendChild(el("button", { type: "button", "class": "civ-react", "aria-pressed": pressed ? "true" : "false",
        "aria-label": "Like (" + c.reaction_count + ")", text: "\u2764 " + c.reaction_count,
        on: { click: function () { react(c); } } }));
      if (state.user && !story.closed) bar.appendChild(el("button", { type: "button", "class": "civ-link", text: "Reply",
        on: { click: function () { openReply(c, li); } } }));
    }
    if (state.user && c.mine && withinWindow(c)) {
      bar.appendChild(el("button", { type: "button", "class": "civ-link", text: "Edit", on: { click: function () { openEdit(c, li); } } }));
      bar.appendChild(el("button", { type: "button", "class": "civ-link", text: "Delete", on: { click: function () {
        if (!confirm("Delete your comment?")) return;
        api("DELETE", "/comments/" + c.id).then(function () { c.status = "deleted"; render(); say("Comment deleted."); },
                                                  function (x) { say(x.message); });
      } } }));
    }
    if (state.user && !c.mine && c.status === "approved") {
      bar.appendChild(el("button", { type: "button", "class": "civ-link", text: "Report", on: { click: function () { openReport(c, li); } } }));
    }
    return bar;
  }
  function slot(li) {
    var s = li.querySelector(":scope > .civ-slot");
    if (!s) { s = el("div", { "class": "civ-slot" }); li.insertBefore(s, li.children[1] || null); }
    s.textContent = ""; return s;
  }
  function openReply(c, li) {
    var s = slot(li);
    if (!state.user) { say("Sign in to reply."); return; }
    var f = editorForm({ key: "r" + c.id, label: "Reply to " + (c.author ? c.author.name : "comment"), submit: "Post reply",
      cancel: function () { s.textContent = ""; },
      send: function (body) { return api("POST", "/stories/" + story.id + "/comments", { body: body, parent_id: c.id }); },
      done: function (data) { s.textContent = ""; posted(data); } });
    s.appendChild(f); f.querySelector("textarea").focus();
  }
  function openEdit(c, li) {
    var s = slot(li);
    var f = editorForm({ key: "e" + c.id, label: "Edit your comment", submit: "Save", value: c.body || htmlToText(c.html),
      cancel: function () { s.textContent = ""; },
      send: function (body) { return api("PATCH", "/comments/" + c.id, { body: body }); },
      done: function (data) { Object.assign(c, data.comment, { replies: c.replies, mine: true }); render(); say(data.message); } });
    s.appendChild(f); f.querySelector("textarea").focus();
  }
  function htmlToText(h) { var d = document.createElement("div"); d.innerHTML = h.replace(/<\/p>/g, "\n\n"); return d.textContent.trim(); }
  function openReport(c, li) {
    var s = slot(li);
    var sel = el("select", { id: "civ-reason-" + c.id });
    cfg.reportReasons.forEach(function (r) { sel.appendChild(el("option", { value: r[0], text: r[1] })); });
    var note = el("input", { id: "civ-note-" + c.id, type: "text", maxlength: 500 });
    var err = el("p", { "class": "civ-error", role: "alert" });
    var f = el("form", { "class": "civ-form", "aria-label": "Report comment" }, [
      el("label", { "for": sel.id, text: "Why are you reporting this comment?" }), sel,
      el("label", { "for": note.id, text: "Anything else (optional)" }), note,
      el("div", { "class": "civ-actions" }, [el("button", { type: "submit", text: "Send report" }),
        el("button", { type: "button", "class": "civ-link", text: "Cancel", on: { click: function () { s.textContent = ""; } } })]), err]);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      api("POST", "/comments/" + c.id + "/reports", { reason: sel.value, message: note.value })
        .then(function (d) { s.textContent = ""; say(d.message); }, function (x) { err.textContent = x.message; });
    });
    s.appendChild(f); sel.focus();
  }
  function react(c) {
    if (!state.user) { say("Sign in to like comments."); return; }
    api("POST", "/comments/" + c.id + "/reactions", { kind: "like" }).then(function (d) {
      c.reaction_count = d.reaction_count; state.reacted[c.id] = d.reacted; render();
      var b = document.querySelector("#c" + c.id + " .civ-react"); if (b) b.focus();
    }, function (x) { say(x.message); });
  }
  function focusOn(id) {
    api("GET", "/comments/" + id + "/thread").then(function (d) {
      state.focus = id; state.focusNode = d.comment; index(d.comment); render();
      var first = list.querySelector(".civ-comment"); if (first) first.setAttribute("tabindex", "-1"), first.focus();
    }, function (x) { say(x.message); });
  }
  function render() {
    countEl.textContent = state.total === 1 ? "1 comment" : state.total + " comments";
    list.textContent = "";
    if (state.focus) {
      focusBar.hidden = false; focusBar.textContent = "";
      focusBar.appendChild(el("button", { type: "button", "class": "civ-link", text: "\u2190 Back to all comments",
        on: { click: function () { state.focus = null; render(); } } }));
      list.appendChild(commentNode(state.focusNode, 0));
      more.hidden = true;
    } else {
      focusBar.hidden = true;
      roots.forEach(function (c) { list.appendChild(commentNode(c, 0)); });
      if (!roots.length) list.appendChild(el("li", { "class": "civ-empty", text: "No comments yet." }));
      more.hidden = state.nextOffset === null || state.nextOffset === undefined;
    }
    postHeight();
  }

  /* ---- live updates ---- */
  function connect() {
    if (!window.EventSource) return;
    // `after`: the newest comment already shown, so the stream's catch-up covers what was posted
    // since the page loaded (and, when the server is full and answers with catch-up only, what was
    // posted between two polls until an event id is known).
    var newest = Object.keys(byId).reduce(function (m, k) { return Math.max(m, +k); }, 0);
    var es = new EventSource(API + "/stories/" + story.id + "/events?after=" + newest);
    es.addEventListener("comment.created", function (e) {
      var c = JSON.parse(e.data).comment;
      if (c.status === "approved" && !byId[c.id]) { insert(c, false); say("New comment from " + (c.author ? c.author.name : "a reader") + "."); }
      else if (byId[c.id]) { Object.assign(byId[c.id], c); render(); }
    });
    ["comment.edited", "comment.approved", "comment.featured", "comment.unfeatured"].forEach(function (kind) {
      es.addEventListener(kind, function (e) {
        var c = JSON.parse(e.data).comment;
        if (byId[c.id]) { Object.assign(byId[c.id], c); render(); } else if (c.status === "approved") insert(c, false);
      });
    });
    es.addEventListener("comment.deleted", function (e) {
      var c = JSON.parse(e.data).comment; if (byId[c.id]) { byId[c.id].status = "deleted"; render(); }
    });
    es.addEventListener("comment.removed", function (e) {
      var c = JSON.parse(e.data).comment;
      if (!byId[c.id]) return;
      byId[c.id].status = "rejected";
      if (!(byId[c.id].replies || []).length) {
        roots = roots.filter(function (r) { return r.id !== c.id; });
        Object.keys(byId).forEach(function (k) {
          var n = byId[k]; if (n.replies) n.replies = n.replies.filter(function (r) { return r.id !== c.id; });
        });
        delete byId[c.id]; state.total = Math.max(0, state.total - 1);
      }
      render();
    });
    ["story.closed", "story.opened"].forEach(function (kind) {
      es.addEventListener(kind, function () { story.closed = kind === "story.closed"; renderComposer(); render(); });
    });
    es.addEventListener("comment.reactions", function (e) {
      var c = JSON.parse(e.data).comment; if (byId[c.id]) { byId[c.id].reaction_count = c.reaction_count; render(); }
    });
  }

  /* ---- start ---- */
  window.addEventListener("message", function (e) {
    if (e.source !== parent || !e.data) return;
    if (e.data.civility === "sso" && e.data.token) ssoLogin(e.data.token);
    if (e.data.civility === "logout") signOut();
  });
  function ssoLogin(jwt) {
    return api("POST", "/auth/sso", { site: cfg.site, token: jwt }).then(setSession, function (x) {
      // A token signs in once: the same page again (a reload) keeps the session it gave.
      if (x.code === "sso_replayed" && state.token) {
        return api("GET", "/auth/me").then(function (d) { state.user = d.user; }, function () {
          signOut(); say("Sign-in failed: " + x.message);
        });
      }
      // The publisher vouches for nobody valid: drop any older session rather than keep it.
      signOut(); say("Sign-in failed: " + x.message);
    });
  }
  var hash = new URLSearchParams(location.hash.slice(1));
  try { state.token = localStorage.getItem(TOKEN_KEY); } catch (e) { state.token = null; }
  var start = Promise.resolve();
  if (hash.get("sso")) { start = ssoLogin(hash.get("sso")); history.replaceState(null, "", location.pathname + location.search); }
  else if (state.token) {
    start = api("GET", "/auth/me").then(function (d) { state.user = d.user; }, function () { state.token = null; });
  }
  start.then(function () { renderAuth(); renderComposer(); return load(); }).then(connect);
})();
