/* Civility thread widget (runs inside the iframe). Plain DOM, no dependencies, no third-party
 * requests. Server HTML (comment bodies) is sanitized at write time; everything else goes in as
 * text. Every outcome is said twice: a visible note next to what it is about, and the same words
 * in the polite live region for screen readers (plain language, never scores). */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("civility-config").textContent);
  var root = document.getElementById("civility");
  var API = cfg.api, story = cfg.story;
  var state = { sort: "newest", nextOffset: null, token: null, user: null, reacted: {},
                focus: null, seen: {}, total: 0, tab: "all", featured: [], collapsed: {},
                target: null, open: {}, fresh: {}, replyIds: [] };
  var notes = {}, noteSeq = 0;
  var TOKEN_KEY = "civility-token:" + cfg.site;
  var LANG = cfg.lang || document.documentElement.lang || "en";
  // Translations: Django's JavaScript catalogue for the widget's language (/embed/i18n/<lang>.js,
  // loaded just before this script) defines django.gettext and django.ngettext. English is this
  // file's own text. Placeholders are named, %(name)s, so a translation may reorder them.
  var i18n = window.django || {};
  function gettext(s) { return i18n.gettext ? i18n.gettext(s) : s; }
  function ngettext(one, many, n) { return i18n.ngettext ? i18n.ngettext(one, many, n) : (n === 1 ? one : many); }
  function fill(s, values) { return s.replace(/%\((\w+)\)s/g, function (m, k) { return String(values[k]); }); }

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
  function plural(n, one, many) { return n === 1 ? "1 " + one : n + " " + many; }  // English times only

  function api(method, path, body) {
    var headers = { "Accept": "application/json", "Accept-Language": LANG };
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
  var countEl = el("h2", { "class": "civ-count", id: "civ-count", text: gettext("Comments") });
  var sortSel = el("select", { id: "civ-sort", on: { change: function () { state.sort = sortSel.value; load(); } } }, [
    el("option", { value: "newest", text: gettext("Newest first") }),
    el("option", { value: "oldest", text: gettext("Oldest first") }),
    el("option", { value: "reactions", text: gettext("Most liked") })
  ]);
  var sortLabel = el("label", { "for": "civ-sort", "class": "civ-sort-label" }, [gettext("Sort") + " ", sortSel]);
  var authBox = el("div", { "class": "civ-auth" });
  var composer = el("div", { "class": "civ-composer" });
  var tabs = el("div", { "class": "civ-tabs", role: "tablist", "aria-label": gettext("Which comments"), hidden: true });
  var panel = el("div", { id: "civ-panel" });
  var list = el("ol", { "class": "civ-list", "aria-labelledby": "civ-count" });
  var focusBar = el("div", { "class": "civ-focus", hidden: true });
  var more = el("button", { type: "button", "class": "civ-more", hidden: true, text: gettext("Load more comments"),
                            on: { click: function () { load(true); } } });
  var topNote = noteHost("top");
  root.appendChild(el("header", { "class": "civ-head" }, [countEl, sortLabel]));
  root.appendChild(authBox);
  root.appendChild(topNote);
  root.appendChild(composer);
  root.appendChild(live);
  root.appendChild(tabs);
  // "N new comments": what arrived live while the reader was reading (a button to go there).
  var newBar = el("div", { "class": "civ-new-bar", hidden: true });
  panel.appendChild(focusBar); panel.appendChild(newBar); panel.appendChild(list); panel.appendChild(more);
  root.appendChild(panel);

  /* ---- feedback: a visible note where it happened, and the live region ---- */
  function say(msg) { live.textContent = ""; setTimeout(function () { live.textContent = msg; }, 30); }
  function noteHost(where) { var h = el("div", { "class": "civ-note-host", "data-note-host": where }); fillNote(h, where); return h; }
  function fillNote(host, where) {
    host.textContent = "";
    var n = notes[where];
    if (n) host.appendChild(el("p", { "class": "civ-toast civ-toast-" + n.kind, "data-kind": n.kind }, [n.msg]));
  }
  function toast(msg, kind, where) {
    where = String(where || "top");
    if (where !== "top" && !document.querySelector('[data-note-host="' + where + '"]')) where = "top";
    var n = notes[where] = { msg: msg, kind: kind || "info", seq: ++noteSeq };
    var host = document.querySelector('[data-note-host="' + where + '"]');
    if (host) fillNote(host, where);
    say(msg);
    postHeight();
    setTimeout(function () {
      if (notes[where] !== n) return;
      delete notes[where];
      var h = document.querySelector('[data-note-host="' + where + '"]'); if (h) fillNote(h, where);
      postHeight();
    }, kind === "error" || kind === "warn" ? 12000 : 7000);
  }
  function heldText(reasons) {
    return reasons && reasons.length ? fill(gettext("Held for review: %(reasons)s."), { reasons: reasons.join("; ") }) : gettext("Held for review.");
  }
  function rejectedText(c) {
    var why = (c.reasons && c.reasons.length) ? c.reasons.join("; ") : (c.rejection_reason || "");
    return why ? fill(gettext("Rejected: %(reasons)s."), { reasons: why }) : gettext("Rejected.");
  }

  /* ---- the iframe and the publisher page ---- */
  function postHeight() {
    parent.postMessage({ civility: "height", height: document.documentElement.scrollHeight }, "*");
  }
  if (window.ResizeObserver) new ResizeObserver(postHeight).observe(document.body);
  window.addEventListener("load", postHeight);
  // The iframe's accessible name on the publisher's page, in the widget's language.
  parent.postMessage({ civility: "title", title: gettext("Reader comments") }, "*");
  function scrollParentTo(node) {
    var top = node.getBoundingClientRect().top + window.pageYOffset;
    parent.postMessage({ civility: "scroll", top: top }, "*");
  }

  /* ---- accounts ---- */
  function setSession(data) {
    state.token = data.token; state.user = data.user;
    try { localStorage.setItem(TOKEN_KEY, data.token); } catch (e) { /* storage may be blocked */ }
    renderAuth(); renderComposer(); loadMine().then(function () { render(); });
  }
  function signOut(remote) {
    // The reader's own sign-out revokes the token on the server (a copy of it stops working);
    // a token the server already refused is just forgotten.
    if (remote && state.token) api("POST", "/auth/logout").catch(function () { /* forgotten here anyway */ });
    state.token = null; state.user = null; state.reacted = {}; state.replyIds = [];
    try { localStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
    renderAuth(); renderComposer(); render();
  }
  function field(id, label, type, extra) {
    var input = el("input", Object.assign({ id: id, name: id, type: type, required: true }, extra || {}));
    return [el("label", { "for": id, text: label }), input];
  }
  function authForm(kind) {
    var f = el("form", { "class": "civ-form", "aria-label": AUTH_LABELS[kind]() });
    var err = el("p", { "class": "civ-error", role: "alert" });
    var fields;
    if (kind === "Sign in") fields = field("civ-email", gettext("Email"), "email", { autocomplete: "email" }).concat(field("civ-password", gettext("Password"), "password", { autocomplete: "current-password" }));
    else if (kind === "Create account") fields = field("civ-email", gettext("Email"), "email", { autocomplete: "email" }).concat(field("civ-name", gettext("Display name"), "text", { maxlength: 80, autocomplete: "nickname" })).concat(field("civ-password", gettext("Password"), "password", { autocomplete: "new-password", minlength: 8 }));
    else fields = field("civ-name", gettext("Your name"), "text", { maxlength: 80, autocomplete: "nickname" });
    fields.forEach(function (n) { f.appendChild(n); });
    f.appendChild(el("button", { type: "submit", text: AUTH_LABELS[kind]() }));
    f.appendChild(err);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var v = function (id) { var n = f.querySelector("#" + id); return n ? n.value : ""; };
      var p = kind === "Sign in" ? api("POST", "/auth/login", { email: v("civ-email"), password: v("civ-password") })
        : kind === "Create account" ? api("POST", "/auth/signup", { email: v("civ-email"), password: v("civ-password"), display_name: v("civ-name") })
        : api("POST", "/auth/guest", { site: cfg.site, name: v("civ-name") });
      p.then(function (d) { setSession(d); toast(fill(gettext("Welcome, %(name)s."), { name: d.user.name }), "ok"); },
             function (x) { err.textContent = x.message; });
    });
    if (kind === "Sign in") {
      f.appendChild(el("button", { type: "button", "class": "civ-link civ-forgot", text: gettext("Forgot your password?"),
        on: { click: function () { var h = f.parentNode; h.textContent = ""; h.appendChild(resetForm(f.querySelector("#civ-email").value)); postHeight(); } } }));
    }
    return f;
  }
  // The auth forms are keyed by their English names; people see them in their language.
  var AUTH_LABELS = { "Sign in": function () { return gettext("Sign in"); },
                      "Create account": function () { return gettext("Create account"); },
                      "Comment as guest": function () { return gettext("Comment as guest"); } };
  function renderAuth() {
    authBox.textContent = "";
    if (state.user) {
      var acct = el("section", { "class": "civ-account", id: "civ-account", "aria-label": gettext("Your account and data"), hidden: true });
      var toggle = el("button", { type: "button", "class": "civ-link", text: gettext("Your data"), "aria-expanded": "false",
        "aria-controls": "civ-account", on: { click: function () {
          var open = acct.hidden; acct.hidden = !open; toggle.setAttribute("aria-expanded", open ? "true" : "false");
          if (open) renderAccount(acct); postHeight();
        } } });
      var settingsBox = el("section", { "class": "civ-account civ-settings", id: "civ-settings", "aria-label": gettext("Settings"), hidden: true });
      var settingsBtn = el("button", { type: "button", "class": "civ-link", text: gettext("Settings"), "aria-expanded": "false",
        "aria-controls": "civ-settings", on: { click: function () {
          var open = settingsBox.hidden; settingsBox.hidden = !open; settingsBtn.setAttribute("aria-expanded", open ? "true" : "false");
          if (open) renderSettings(settingsBox); postHeight();
        } } });
      var mineBox = el("div", { "class": "civ-slot civ-mine-slot" });
      var mineBtn = el("button", { type: "button", "class": "civ-link", text: gettext("My comments"), "aria-expanded": "false",
        on: { click: function () { toggleProfile(state.user.id, mineBox, mineBtn); } } });
      authBox.appendChild(el("p", { "class": "civ-signed-in" }, [avatar(state.user), gettext("Signed in as") + " ", el("strong", { text: state.user.name }), " ",
        el("button", { type: "button", "class": "civ-link", text: gettext("Sign out"), on: { click: function () { signOut(true); toast(gettext("Signed out."), "ok"); } } }),
        " ", mineBtn, " ", toggle, " ", settingsBtn, " ", replyBadge]));
      authBox.appendChild(mineBox);
      authBox.appendChild(acct);
      authBox.appendChild(settingsBox);
      return;
    }
    if (cfg.sso && !cfg.allowLocalAccounts && !cfg.allowGuests) {
      authBox.appendChild(el("p", { text: gettext("Sign in on this site to join the discussion.") }));
      return;
    }
    var holder = el("div", {});
    var choices = [];
    if (cfg.allowLocalAccounts) choices.push("Sign in", "Create account");
    if (cfg.allowGuests) choices.push("Comment as guest");
    var bar = el("p", { "class": "civ-auth-choices" }, [gettext("Join the discussion:") + " "]);
    choices.forEach(function (c) {
      bar.appendChild(el("button", { type: "button", "class": "civ-link", text: AUTH_LABELS[c](), on: { click: function () {
        holder.textContent = ""; var f = authForm(c); holder.appendChild(f); f.querySelector("input").focus(); postHeight();
      } } }));
    });
    authBox.appendChild(bar); authBox.appendChild(holder);
  }

  /* ---- account settings (notification e-mail, password) and the password reset request ---- */
  function resetForm(email) {
    var err = el("p", { "class": "civ-error", role: "alert" });
    var done = el("p", { "class": "civ-toast civ-toast-ok", role: "status", hidden: true });
    var f = el("form", { "class": "civ-form", "aria-label": gettext("Reset your password") }, [
      el("p", { "class": "civ-hint", text: gettext("Enter the e-mail address of your account: we send it a link for choosing a new password.") })
    ].concat(field("civ-reset-email", gettext("Email"), "email", { autocomplete: "email", value: email || "" })));
    f.appendChild(el("div", { "class": "civ-actions" }, [
      el("button", { type: "submit", text: gettext("Send me a link") }),
      el("button", { type: "button", "class": "civ-link", text: gettext("Back to sign in"), on: { click: function () {
        var h = f.parentNode; h.textContent = ""; var s = authForm("Sign in"); h.appendChild(s); s.querySelector("input").focus(); postHeight();
      } } })
    ]));
    f.appendChild(err); f.appendChild(done);
    f.addEventListener("submit", function (e) {
      e.preventDefault(); err.textContent = "";
      api("POST", "/auth/password-reset", { email: f.querySelector("#civ-reset-email").value }).then(function (d) {
        done.textContent = d.message; done.hidden = false; say(d.message); postHeight();
      }, function (x) { err.textContent = x.message; postHeight(); });
    });
    return f;
  }
  function checkbox(id, label, checked) {
    var box = el("input", { id: id, type: "checkbox" }); box.checked = !!checked;
    return el("label", { "for": id, "class": "civ-check" }, [box, " " + label]);
  }
  function renderSettings(box) {
    box.textContent = "";
    box.appendChild(el("h3", { text: gettext("Settings") }));
    Promise.all([api("GET", "/me"), api("GET", "/me/notifications")]).then(function (r) {
      var account = r[0].account, prefs = r[1];
      var err = el("p", { "class": "civ-error", role: "alert" });
      var f = el("form", { "class": "civ-form", "aria-label": gettext("E-mail notifications") });
      var set = el("fieldset", { "class": "civ-fieldset" }, [el("legend", { text: gettext("E-mail notifications") })]);
      f.appendChild(set);
      if (!account.email) {
        set.appendChild(el("p", { "class": "civ-hint", text: gettext("Guest accounts have no e-mail address: create an account to get notifications.") }));
        box.appendChild(f);
      } else {
        set.appendChild(checkbox("civ-notify-replies", gettext("When someone replies to me"), prefs.replies));
        set.appendChild(checkbox("civ-notify-moderation", gettext("When a moderator publishes, rejects or features my comment"), prefs.moderation));
        set.appendChild(el("p", { "class": "civ-hint", text: fill(ngettext("At most one e-mail every %(n)s minute, to %(email)s.", "At most one e-mail every %(n)s minutes, to %(email)s.", prefs.every_minutes),
          { n: prefs.every_minutes, email: account.email }) }));
        if (!account.email_verified) {
          set.appendChild(el("p", { "class": "civ-warning", text: gettext("Your address is not confirmed yet: notifications start once you follow the link we e-mailed you.") }));
          set.appendChild(el("button", { type: "button", "class": "civ-link", text: gettext("Send the confirmation link again"), on: { click: function () {
            api("POST", "/me/verify-email").then(function (d) { toast(d.message, "ok", "settings"); }, function (x) { toast(x.message, "error", "settings"); });
          } } }));
        }
        f.appendChild(el("div", { "class": "civ-actions" }, [el("button", { type: "submit", text: gettext("Save notification settings") })]));
        f.appendChild(err);
        f.addEventListener("submit", function (e) {
          e.preventDefault(); err.textContent = "";
          api("PUT", "/me/notifications", { replies: f.querySelector("#civ-notify-replies").checked, moderation: f.querySelector("#civ-notify-moderation").checked })
            .then(function (d) { toast(d.message, "ok", "settings"); }, function (x) { err.textContent = x.message; });
        });
        box.appendChild(f);
      }
      if (account.has_password) box.appendChild(passwordForm());
      box.appendChild(noteHost("settings"));
      postHeight();
    }, function (x) { box.appendChild(el("p", { "class": "civ-error", role: "alert", text: x.message })); postHeight(); });
  }
  function passwordForm() {
    var err = el("p", { "class": "civ-error", role: "alert" });
    var f = el("form", { "class": "civ-form", "aria-label": gettext("Change password") }, [el("h4", { text: gettext("Change password") })]
      .concat(field("civ-old-password", gettext("Current password"), "password", { autocomplete: "current-password" }))
      .concat(field("civ-new-password", gettext("New password"), "password", { autocomplete: "new-password", minlength: 8 })));
    f.appendChild(el("div", { "class": "civ-actions" }, [el("button", { type: "submit", text: gettext("Change password") })]));
    f.appendChild(err);
    f.addEventListener("submit", function (e) {
      e.preventDefault(); err.textContent = "";
      api("POST", "/me/password", { old_password: f.querySelector("#civ-old-password").value, new_password: f.querySelector("#civ-new-password").value })
        .then(function (d) {
          // Every other sign-in ended; this device carries on with the new token.
          state.token = d.token;
          try { localStorage.setItem(TOKEN_KEY, d.token); } catch (x) { /* storage may be blocked */ }
          f.reset(); toast(gettext("Your password is changed. Your other devices are signed out."), "ok", "settings");
        }, function (x) { err.textContent = x.message; });
    });
    return f;
  }

  /* ---- what arrived while reading: "N new comments" and a badge for replies to you ---- */
  var replyBadge = el("button", { type: "button", "class": "civ-reply-badge", hidden: true, on: { click: function () {
    var id = state.replyIds.shift(); updateArrivals(); if (id) goTo(id);
  } } });
  function updateArrivals() {
    var n = state.replyIds.length;
    replyBadge.hidden = !n;
    replyBadge.textContent = fill(ngettext("%(n)s reply to you", "%(n)s replies to you", n), { n: n });
    var fresh = Object.keys(state.fresh).length;
    newBar.hidden = !fresh; newBar.textContent = "";
    if (fresh) {
      newBar.appendChild(el("button", { type: "button", "class": "civ-new-button", on: { click: function () {
        var ids = Object.keys(state.fresh).map(Number).sort(function (a, b) { return a - b; });
        state.fresh = {}; updateArrivals();
        goTo(ids[ids.length - 1]);
      } } }, [fill(ngettext("%(n)s new comment", "%(n)s new comments", fresh), { n: fresh }) + " · " + gettext("Show")]));
    }
  }
  function arrived(c) {
    if (isMine(c)) return;
    state.fresh[c.id] = true;
    var p = c.parent_id && byId[c.parent_id];
    if (p && isMine(p) && state.replyIds.indexOf(c.id) < 0) {
      state.replyIds.push(c.id);
      say(fill(gettext("%(name)s replied to you."), { name: c.author ? c.author.name : gettext("A reader") }));
    }
    updateArrivals();
  }
  // Replies to the reader's comments posted since their last visit count as new too.
  function repliesSinceLastVisit() {
    if (!state.user) return;
    var key = "civility-visit:" + story.id, last = 0;
    try { last = +localStorage.getItem(key) || 0; localStorage.setItem(key, String(Date.now())); } catch (e) { return; }
    if (!last) return;
    Object.keys(byId).forEach(function (k) {
      var c = byId[k], p = c.parent_id && byId[c.parent_id];
      if (p && isMine(p) && !isMine(c) && c.status === "approved" && new Date(c.created_at).getTime() > last && state.replyIds.indexOf(c.id) < 0) state.replyIds.push(c.id);
    });
    updateArrivals();
  }

  /* ---- your data: a copy of it (GDPR Art. 15/20) and deleting the account (Art. 17) ---- */
  function renderAccount(box) {
    box.textContent = "";
    var err = el("p", { "class": "civ-error", role: "alert" });
    box.appendChild(el("h3", { text: gettext("Your account and data") }));
    box.appendChild(el("p", { text: gettext("Download a copy of everything stored about you here: your profile, comments, likes and reports.") }));
    box.appendChild(el("button", { type: "button", text: gettext("Download my data"), on: { click: function () {
      err.textContent = "";
      api("GET", "/me/export").then(function (data) {
        var blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
        var a = el("a", { href: URL.createObjectURL(blob), download: "civility-my-data.json", hidden: true });
        document.body.appendChild(a); a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
        toast(gettext("Your data is downloading."), "ok");
      }, function (x) { err.textContent = x.message; });
    } } }));
    var deleteBox = el("div", { "class": "civ-delete" });
    deleteBox.appendChild(el("button", { type: "button", "class": "civ-link civ-danger", text: gettext("Delete my account"), on: { click: function () {
      api("GET", "/me").then(function (me) { deleteForm(deleteBox, me.account); }, function (x) { err.textContent = x.message; });
    } } }));
    box.appendChild(deleteBox);
    box.appendChild(err);
    accountDecisions(box);
  }
  // A ban or suspension of the reader's account on this site, with its statement of reasons and
  // the appeal (EU DSA Art. 17, 20): the account panel is where a reader who cannot post looks.
  function accountDecisions(box) {
    api("GET", "/me/statements").then(function (d) {
      var mine = d.statements.filter(function (st) { return st.decision === "account_suspension" && st.site === cfg.site; });
      if (!mine.length) return;
      var sec = el("section", { "class": "civ-decisions", "aria-labelledby": "civ-decisions-title" }, [
        el("h3", { id: "civ-decisions-title", text: gettext("Decisions about your account") })
      ]);
      mine.forEach(function (st) { sec.appendChild(statementPanel({ id: "account-" + st.id }, st)); });
      box.appendChild(sec);
      postHeight();
    }, function () { /* the rest of the panel works without it */ });
  }
  function deleteForm(box, account) {
    box.textContent = "";
    var err = el("p", { "class": "civ-error", role: "alert" });
    var f = el("form", { "class": "civ-form", "aria-label": gettext("Delete my account") }, [
      el("p", { "class": "civ-warning", text: gettext("Deleting your account cannot be undone. Your comments stay in their threads as \u201cThis comment was deleted.\u201d, so replies keep their place; your name, e-mail, likes and report messages are erased.") })
    ]);
    if (account.has_password) {
      f.appendChild(el("label", { "for": "civ-delete-password", text: gettext("Your password") }));
      f.appendChild(el("input", { id: "civ-delete-password", type: "password", required: true, autocomplete: "current-password" }));
    }
    var tick = el("input", { id: "civ-delete-confirm", type: "checkbox", required: true });
    f.appendChild(el("label", { "for": "civ-delete-confirm", "class": "civ-check" }, [tick, " " + gettext("I understand: delete my account and erase my data")]));
    f.appendChild(el("div", { "class": "civ-actions" }, [
      el("button", { type: "submit", "class": "civ-danger", text: gettext("Delete my account permanently") }),
      el("button", { type: "button", "class": "civ-link", text: gettext("Cancel"), on: { click: function () { renderAuth(); } } })
    ]));
    f.appendChild(err);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var pw = f.querySelector("#civ-delete-password");
      api("DELETE", "/me", { confirm: tick.checked, password: pw ? pw.value : "" }).then(function (d) {
        signOut(); toast(d.message, "ok"); load();
      }, function (x) { err.textContent = x.message; });
    });
    box.appendChild(f);
    (f.querySelector("input") || tick).focus();
    postHeight();
  }

  /* ---- avatars, names and times ---- */
  function initials(name) {
    var words = String(name || "?").trim().split(/\s+/).filter(Boolean);
    var first = Array.from(words[0] || "?")[0] || "?";
    var last = words.length > 1 ? Array.from(words[words.length - 1])[0] : "";
    return (first + (last || "")).toUpperCase();
  }
  function avatar(author) {
    var name = author ? author.name : "";
    var h = 0; for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    return el("span", { "class": "civ-avatar civ-av" + (h % 8), "aria-hidden": "true", text: initials(name) });
  }
  // Intl's formatters cost tens of milliseconds to build: English times are written here, and
  // the formatters (other languages, the absolute date in the tooltip) come after the first paint.
  var fmt = null, ENGLISH = /^en\b/i.test(LANG);
  function formatters() {
    if (!fmt) fmt = { rel: window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(LANG, { numeric: "auto" }) : null,
                      abs: new Intl.DateTimeFormat(LANG, { dateStyle: "full", timeStyle: "short" }) };
    return fmt;
  }
  function relTime(iso) {
    var s = (new Date(iso).getTime() - Date.now()) / 1000, a = Math.abs(s);
    if (a < 45) return gettext("just now");
    var steps = [[3600, 60, "minute"], [86400, 3600, "hour"], [604800, 86400, "day"], [2629800, 604800, "week"],
                 [31557600, 2629800, "month"], [Infinity, 31557600, "year"]];
    for (var i = 0; i < steps.length; i++) {
      if (a < steps[i][0]) {
        var n = Math.round(s / steps[i][1]), unit = steps[i][2];
        if (!ENGLISH && formatters().rel) return fmt.rel.format(n, unit);
        if (n === -1 && unit === "day") return "yesterday";
        return n <= 0 ? plural(-n, unit, unit + "s") + " ago" : "in " + plural(n, unit, unit + "s");
      }
    }
  }
  function timeNode(iso) {
    return el("time", { datetime: iso, title: fmt ? fmt.abs.format(new Date(iso)) : null, text: relTime(iso) });
  }
  setInterval(function () {
    Array.prototype.forEach.call(document.querySelectorAll("time[datetime]"), function (t) { t.textContent = relTime(t.getAttribute("datetime")); });
  }, 60000);
  function permalink(id) { return (story.url || "").split("#")[0] + "#comment-" + id; }
  function excerpt(html, n) {
    var t = new DOMParser().parseFromString(html || "", "text/html").body.textContent.replace(/\s+/g, " ").trim();
    return t.length > n ? t.slice(0, n - 1) + "\u2026" : t;
  }

  /* ---- posting: counter, preview and the "are you sure?" nudge ---- */
  function editorForm(opts) {
    var id = "civ-body-" + (opts.key || "new");
    var ta = el("textarea", { id: id, rows: 4, maxlength: cfg.maxLength, required: true, "aria-describedby": id + "-count" });
    ta.value = opts.value || "";
    var err = el("p", { "class": "civ-error", role: "alert" });
    var counter = el("span", { "class": "civ-counter", id: id + "-count" });
    var preview = el("div", { "class": "civ-preview", hidden: true, "aria-label": gettext("Preview"), role: "region" });
    var nudge = el("div", { "class": "civ-nudge", hidden: true });
    var previewBtn = el("button", { type: "button", "class": "civ-link", text: gettext("Preview"), "aria-pressed": "false" });
    var submit = el("button", { type: "submit", text: opts.submit });
    var confirmed = false;
    function count() {
      var left = cfg.maxLength - ta.value.length;
      counter.textContent = ta.value.length + " / " + cfg.maxLength;
      counter.setAttribute("aria-label", fill(ngettext("%(count)s character left", "%(count)s characters left", left), { count: left }));
      counter.classList.toggle("civ-counter-warn", left < cfg.maxLength * 0.1);
    }
    count();
    ta.addEventListener("input", function () {
      count(); confirmed = false;
      if (!nudge.hidden) { nudge.hidden = true; postHeight(); }
      if (!preview.hidden) { preview.hidden = true; previewBtn.setAttribute("aria-pressed", "false"); postHeight(); }
    });
    function check() { return api("POST", "/stories/" + story.id + "/comments/check", { body: ta.value, parent_id: opts.parentId || null }); }
    previewBtn.addEventListener("click", function () {
      if (!preview.hidden) { preview.hidden = true; previewBtn.setAttribute("aria-pressed", "false"); postHeight(); return; }
      err.textContent = "";
      check().then(function (r) {
        preview.textContent = "";
        preview.appendChild(el("p", { "class": "civ-preview-label", text: gettext("Preview") }));
        var body = el("div", { "class": "civ-body" }); body.innerHTML = r.html || "";
        if (!r.html) body.appendChild(el("p", { "class": "civ-hint", text: gettext("Nothing to preview yet.") }));
        preview.appendChild(body);
        preview.hidden = false; previewBtn.setAttribute("aria-pressed", "true");
        if (r.nudge) showNudge(r);
        postHeight();
      }, function (x) { err.textContent = x.message; });
    });
    function showNudge(r) {
      nudge.textContent = "";
      var why = { reasons: r.reasons.join("; ") };
      nudge.appendChild(el("p", { "class": "civ-nudge-text", role: "alert" }, [
        el("strong", { text: gettext("Are you sure?") + " " }),
        r.rejected ? fill(gettext("Our automatic check would not publish this comment: it %(reasons)s. You can edit it, or post it as it is."), why)
                   : fill(gettext("Our automatic check would hold this comment for a moderator: it %(reasons)s. You can edit it, or post it as it is."), why)
      ]));
      nudge.appendChild(el("div", { "class": "civ-actions" }, [
        el("button", { type: "button", text: gettext("Edit my comment"), on: { click: function () { nudge.hidden = true; ta.focus(); postHeight(); } } }),
        el("button", { type: "button", "class": "civ-link", text: gettext("Post anyway"), on: { click: function () { confirmed = true; send(); } } })
      ]));
      nudge.hidden = false;
      postHeight();
    }
    function send() {
      submit.disabled = true;
      opts.send(ta.value).then(function (data) {
        ta.value = ""; err.textContent = ""; submit.disabled = false; nudge.hidden = true; preview.hidden = true;
        confirmed = false; count(); opts.done(data);
      }, function (x) { err.textContent = x.message; submit.disabled = false; });
    }
    var f = el("form", { "class": "civ-form civ-editor" }, [
      el("label", { "for": id, text: opts.label }), ta,
      el("div", { "class": "civ-editor-bar" }, [
        el("p", { "class": "civ-hint", text: gettext("**bold**, *italic*, > quote, links.") }), counter
      ]),
      preview, nudge,
      el("div", { "class": "civ-actions" }, [
        submit, previewBtn,
        opts.cancel ? el("button", { type: "button", "class": "civ-link", text: gettext("Cancel"), on: { click: opts.cancel } }) : null
      ]), err
    ]);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      if (confirmed) { send(); return; }
      submit.disabled = true;
      // Ask the checks first (a dry run: nothing stored); if they fail, post anyway.
      check().then(function (r) {
        submit.disabled = false;
        if (r.nudge) showNudge(r); else send();
      }, function () { submit.disabled = false; send(); });
    });
    return f;
  }
  function renderComposer() {
    composer.textContent = "";
    if (story.closed) { composer.appendChild(el("p", { "class": "civ-closed", text: gettext("Comments on this story are closed.") })); return; }
    if (!state.user) return;
    composer.appendChild(editorForm({ label: gettext("Add a comment"), submit: gettext("Post comment"),
      send: function (body) { return api("POST", "/stories/" + story.id + "/comments", { body: body }); },
      done: posted }));
    composer.appendChild(noteHost("composer"));
  }
  function outcome(data) {
    var c = data.comment;
    if (c.status === "pending") return [heldText(data.reasons), "warn"];
    if (c.status === "rejected") return [rejectedText(c), "error"];
    return [data.message || gettext("Published."), "ok"];
  }
  function posted(data) {
    var c = data.comment; c.replies = c.replies || []; c.mine = true;
    if (c.status !== "deleted") insert(c, true);
    var o = outcome(data);
    toast(o[0], o[1], byId[c.id] ? c.id : "composer");
  }

  /* ---- thread ---- */
  var byId = {};
  var roots = [];
  function isMine(c) { return !!(state.user && (c.mine || (c.author && c.author.id === state.user.id))); }
  function index(c) { byId[c.id] = c; state.seen[c.id] = true; (c.replies || []).forEach(index); }
  // A comment the server sends again (an event, the post's answer, the reader's own list) carries
  // no replies, or none loaded here: keep the ones this page already shows under it.
  function update(c) { var t = byId[c.id], keep = t.replies; Object.assign(t, c); t.replies = keep || []; }
  function insert(c, mine) {
    if (byId[c.id]) { update(c); render(); return; }
    c.replies = c.replies || []; c.mine = mine || isMine(c);
    index(c);
    if (c.parent_id && byId[c.parent_id]) byId[c.parent_id].replies.push(c);
    else if (!c.parent_id) { if (state.sort === "oldest") roots.push(c); else roots.unshift(c); }
    else return;
    if (c.status === "approved") state.total += 1;
    render();
  }
  function fetchPage(append) {
    var off = append ? state.nextOffset : 0;
    return api("GET", "/stories/" + story.id + "/comments?sort=" + state.sort + "&offset=" + off + "&limit=50");
  }
  function usePage(data, append) {
    if (!append) { roots = []; byId = {}; }
    data.comments.forEach(function (c) { if (!byId[c.id]) { index(c); roots.push(c); } });
    state.nextOffset = data.next_offset; state.total = data.total;
    if (data.story.closed !== story.closed) { story.closed = data.story.closed; renderComposer(); }
  }
  function load(append, page) {
    return (page || fetchPage(append)).then(function (data) {
      usePage(data, append);
      return loadMine();
    }).then(render, function (x) { toast(fill(gettext("Could not load comments: %(error)s"), { error: x.message }), "error"); });
  }
  function loadMine() {
    if (!state.token) return Promise.resolve();
    return api("GET", "/stories/" + story.id + "/me").then(function (data) {
      state.reacted = {}; data.reacted.forEach(function (id) { state.reacted[id] = true; });
      data.pending.concat(data.rejected || []).forEach(function (c) {
        if (byId[c.id]) update(c); else { c.replies = []; insert(c, true); }
      });
    }, function () { /* an expired token just means signed out */ });
  }
  function loadFeatured() {
    return api("GET", "/stories/" + story.id + "/featured").then(function (d) {
      var before = state.featured.map(function (c) { return c.id; }).join();
      state.featured = d.comments; if (!state.featured.length && state.tab === "featured") state.tab = "all";
      if (before !== state.featured.map(function (c) { return c.id; }).join() || state.tab === "featured") render();
    }, function () { /* the tab just stays hidden */ });
  }
  function withinWindow(c) { return Date.now() - new Date(c.created_at).getTime() < cfg.editWindowSeconds * 1000; }

  // The statement of reasons (EU DSA Art. 17) of the reader's own rejected or long-held comment,
  // behind "Why?", with the appeal (Art. 20) while it is open and its outcome once decided.
  var whyOpen = {};
  function statementPanel(c, st) {
    var panel = el("div", { "class": "civ-why-panel", id: "civ-why-" + c.id, role: "region",
      "aria-label": gettext("Why this decision was taken") });
    function row(label, text) { if (text) panel.appendChild(el("p", {}, [el("strong", { text: label + " " }), text])); }
    row(gettext("Decision:"), st.decision_label + (st.until ? " " + fill(gettext("(until %(date)s)"), { date: new Date(st.until).toLocaleString() }) : ""));
    row(gettext("What happened:"), st.facts);
    if (st.scope) row(gettext("Applies to:"), st.scope + " " + fill(gettext("For how long: %(duration)s."), { duration: st.duration }));
    if (st.spans && st.spans.length) row(gettext("Flagged:"), st.spans.map(function (s) { return "\u201c" + s.text + "\u201d"; }).join(", "));
    row(gettext("Ground:"), st.guideline + " (" + st.ground_label + ")");
    row(gettext("Moderator\u2019s note:"), st.explanation);
    row(gettext("Detected by automated means:"), st.automated_detection ? gettext("yes") : gettext("no"));
    row(gettext("Decided:"), st.automated_decision ? gettext("automatically") : gettext("by a person"));
    row(gettext("Your options:"), st.redress);
    var err = el("p", { "class": "civ-error", role: "alert" });
    if (st.appeal) {
      var a = st.appeal;
      panel.appendChild(el("p", { "class": "civ-appeal-state", role: "status" }, [
        el("strong", { text: gettext("Your appeal:") + " " }),
        a.status === "open" ? gettext("received; a moderator who did not take the decision will review it.")
          : a.status_label + (a.outcome_reason ? ". " + fill(gettext("Reason: %(reason)s"), { reason: a.outcome_reason }) : "")
      ]));
    } else if (st.can_appeal) {
      var open = el("button", { type: "button", text: gettext("Appeal this decision") });
      var form = el("form", { "class": "civ-form civ-appeal-form", hidden: "" });
      var ta = el("textarea", { id: "civ-appeal-" + c.id, rows: "3", maxlength: "2000" });
      form.appendChild(el("label", { "for": ta.id, text: gettext("Why is the decision wrong? (optional)") }));
      form.appendChild(ta);
      form.appendChild(el("div", { "class": "civ-actions" }, [
        el("button", { type: "submit", text: gettext("Send appeal") }),
        el("button", { type: "button", "class": "civ-link", text: gettext("Cancel"), on: { click: function () { form.hidden = true; open.hidden = false; open.focus(); postHeight(); } } })
      ]));
      open.addEventListener("click", function () { open.hidden = true; form.hidden = false; ta.focus(); postHeight(); });
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        err.textContent = "";
        api("POST", "/statements/" + st.id + "/appeal", { text: ta.value }).then(function (d) {
          c.statement = d.statement;
          var fresh = statementPanel(c, d.statement);
          panel.replaceWith(fresh);
          toast(d.message, "ok", c.id);
          postHeight();
        }, function (x) { err.textContent = x.message; });
      });
      panel.appendChild(open);
      panel.appendChild(form);
    }
    panel.appendChild(err);
    return panel;
  }
  function statementBox(c) {
    var st = c.statement;
    var panel = statementPanel(c, st);
    panel.hidden = !whyOpen[c.id];
    var btn = el("button", { type: "button", "class": "civ-link civ-why-toggle", "aria-expanded": whyOpen[c.id] ? "true" : "false",
      "aria-controls": panel.id, text: gettext("Why?") });
    btn.addEventListener("click", function () {
      whyOpen[c.id] = !whyOpen[c.id];
      var now = document.getElementById("civ-why-" + c.id);
      if (now) now.hidden = !whyOpen[c.id];
      btn.setAttribute("aria-expanded", whyOpen[c.id] ? "true" : "false");
      postHeight();
    });
    return el("div", { "class": "civ-why" }, [btn, panel]);
  }

  function commentNode(c, depth, flat) {
    var mine = isMine(c);
    var collapsed = !!state.collapsed[c.id] && !flat;
    var li = el("li", { "class": "civ-comment" + (c.status === "pending" ? " civ-pending" : "") + (state.target === c.id ? " civ-target" : "") + (state.fresh[c.id] ? " civ-new" : "") +
      (collapsed ? " civ-collapsed" : ""), id: "comment-" + c.id, "data-id": c.id, tabindex: state.target === c.id ? "-1" : null });
    var art = el("article", { "aria-label": c.status === "deleted" || !c.author ? gettext("Deleted comment") : fill(gettext("Comment by %(name)s"), { name: c.author.name }) });
    li.appendChild(art);
    var reps = flat ? [] : (c.replies || []);
    if (c.status === "deleted" || (c.status === "rejected" && !mine)) {
      art.appendChild(el("p", { "class": "civ-deleted", id: "a" + c.id,
        text: c.status === "deleted" ? gettext("This comment was deleted.") : gettext("This comment was removed by a moderator.") }));
    } else {
      var who = c.author ? c.author.name : "";
      var head = el("header", { id: "a" + c.id });
      if (reps.length || c.more_replies) {
        head.appendChild(el("button", { type: "button", "class": "civ-toggle", "aria-expanded": collapsed ? "false" : "true",
          "aria-label": fill(collapsed ? gettext("Expand the thread of %(name)s\u2019s comment") : gettext("Collapse the thread of %(name)s\u2019s comment"), { name: who }),
          text: collapsed ? "+" : "\u2212", on: { click: function () { toggleCollapse(c); } } }));
      }
      head.appendChild(avatar(c.author));
      head.appendChild(c.author ? el("button", { type: "button", "class": "civ-author", "aria-expanded": "false",
        title: fill(gettext("Comments by %(name)s"), { name: who }), text: who, on: { click: function (e) { toggleProfile(c.author.id, slot(li, true), e.currentTarget); } } }) : null);
      (c.author && c.author.badges || []).forEach(function (b) { head.appendChild(el("span", { "class": "civ-badge", text: String(b) })); });
      head.appendChild(el("a", { "class": "civ-permalink", href: permalink(c.id), target: "_top",
        on: { click: function (e) { e.preventDefault(); goTo(c.id, true); parent.postMessage({ civility: "permalink", id: c.id }, "*"); } } },
        [timeNode(c.created_at)]));
      if (c.edited) head.appendChild(el("span", { "class": "civ-edited", text: gettext("(edited)") }));
      if (c.featured) head.appendChild(el("span", { "class": "civ-badge civ-featured", text: gettext("Featured") }));
      if (c.status === "pending") head.appendChild(el("span", { "class": "civ-pending-label", text: gettext("Awaiting moderation") }));
      // Only the author sees their rejected comment, with the reason in plain words.
      if (c.status === "rejected") head.appendChild(el("span", { "class": "civ-pending-label civ-rejected-label", text: rejectedText(c) }));
      art.appendChild(head);
      if (collapsed) {
        art.appendChild(el("p", { "class": "civ-hint civ-collapsed-note", text: hiddenReplies(countAll(c) || c.more_replies || 0) }));
        li.appendChild(noteHost(c.id));
        return li;
      }
      if (c.status === "pending" && mine) art.appendChild(el("p", { "class": "civ-held-why", text: heldText(c.reasons) }));
      var body = el("div", { "class": "civ-body" });
      body.innerHTML = c.html; // sanitized by the server (nh3 allow-list); CSP forbids inline script
      art.appendChild(body);
      if (mine && c.statement) art.appendChild(statementBox(c));
      if (c.status !== "rejected") art.appendChild(actionsBar(c, li, mine));
    }
    li.appendChild(noteHost(c.id));
    if (collapsed) return li;
    if (reps.length && depth >= cfg.visualDepth && state.focus !== c.id) {
      li.appendChild(el("button", { type: "button", "class": "civ-link civ-continue", text: continueText(countAll(c)),
        on: { click: function () { focusOn(c.id); } } }));
    } else if (reps.length) {
      var ol = el("ol", { "class": "civ-replies", "aria-label": c.author ? fill(gettext("Replies to %(name)s"), { name: c.author.name }) : gettext("Replies to a deleted comment") });
      reps.forEach(function (r) { ol.appendChild(commentNode(r, depth + 1)); });
      li.appendChild(ol);
    } else if (c.more_replies && !flat) {
      li.appendChild(el("button", { type: "button", "class": "civ-link civ-continue", text: continueText(c.more_replies),
        on: { click: function () { focusOn(c.id); } } }));
    }
    return li;
  }
  function hiddenReplies(n) { return fill(ngettext("%(count)s reply hidden", "%(count)s replies hidden", n), { count: n }); }
  function continueText(n) { return fill(ngettext("Continue this thread (%(count)s more reply)", "Continue this thread (%(count)s more replies)", n), { count: n }); }
  function countAll(c) { return (c.replies || []).reduce(function (n, r) { return n + 1 + countAll(r); }, 0); }
  function toggleCollapse(c) {
    state.collapsed[c.id] = !state.collapsed[c.id];
    render();
    var b = document.querySelector("#comment-" + c.id + " > article .civ-toggle"); if (b) b.focus();
    say(state.collapsed[c.id] ? gettext("Thread collapsed.") : gettext("Thread expanded."));
  }

  function actionsBar(c, li, mine) {
    var bar = el("div", { "class": "civ-actions" });
    if (c.status !== "approved" && !mine) return bar;
    if (c.status === "approved") {
      var pressed = !!state.reacted[c.id];
      // Named "Like, N": the heart is decoration, the visible count part of the name.
      bar.appendChild(el("button", { type: "button", "class": "civ-react", "aria-pressed": pressed ? "true" : "false",
        on: { click: function () { react(c); } } }, [el("span", { "class": "civ-sr", text: gettext("Like") + ", " }),
        el("span", { "aria-hidden": "true", text: "\u2764 " }), String(c.reaction_count)]));
      if (state.user && !story.closed) bar.appendChild(el("button", { type: "button", "class": "civ-link", text: gettext("Reply"),
        on: { click: function () { openReply(c, li); } } }));
    }
    if (state.user && mine && withinWindow(c)) {
      bar.appendChild(el("button", { type: "button", "class": "civ-link", text: gettext("Edit"), on: { click: function () { openEdit(c, li); } } }));
      bar.appendChild(el("button", { type: "button", "class": "civ-link", text: gettext("Delete"), on: { click: function () {
        if (!confirm(gettext("Delete your comment?"))) return;
        api("DELETE", "/comments/" + c.id).then(function () { c.status = "deleted"; render(); toast(gettext("Comment deleted."), "ok", c.id); },
                                                  function (x) { toast(x.message, "error", c.id); });
      } } }));
    }
    if (state.user && !mine && c.status === "approved") {
      bar.appendChild(el("button", { type: "button", "class": "civ-link", text: gettext("Report"), on: { click: function () { openReport(c, li); } } }));
    }
    return bar;
  }
  function slot(li, keep) {
    var s = li.querySelector(":scope > .civ-slot");
    if (!s) { s = el("div", { "class": "civ-slot" }); li.insertBefore(s, li.children[1] || null); }
    if (!keep) s.textContent = "";
    return s;
  }
  function openReply(c, li) {
    var s = slot(li);
    var f = editorForm({ key: "r" + c.id, label: c.author ? fill(gettext("Reply to %(name)s"), { name: c.author.name }) : gettext("Reply to comment"), submit: gettext("Post reply"), parentId: c.id,
      cancel: function () { s.textContent = ""; postHeight(); },
      send: function (body) { return api("POST", "/stories/" + story.id + "/comments", { body: body, parent_id: c.id }); },
      done: function (data) { s.textContent = ""; posted(data); } });
    s.appendChild(f); f.querySelector("textarea").focus(); postHeight();
  }
  function openEdit(c, li) {
    var s = slot(li);
    var f = editorForm({ key: "e" + c.id, label: gettext("Edit your comment"), submit: gettext("Save"), value: c.body || htmlToText(c.html), parentId: c.parent_id,
      cancel: function () { s.textContent = ""; postHeight(); },
      send: function (body) { return api("PATCH", "/comments/" + c.id, { body: body }); },
      done: function (data) {
        s.textContent = ""; Object.assign(c, data.comment, { replies: c.replies, mine: true }); render();
        var o = outcome(data); toast(o[1] === "ok" ? gettext("Your comment is saved.") : o[0], o[1], c.id);
      } });
    s.appendChild(f); f.querySelector("textarea").focus(); postHeight();
  }
  function htmlToText(h) { var d = document.createElement("div"); d.innerHTML = h.replace(/<\/p>/g, "\n\n"); return d.textContent.trim(); }
  function openReport(c, li) {
    var s = slot(li);
    var sel = el("select", { id: "civ-reason-" + c.id });
    cfg.reportReasons.forEach(function (r) { sel.appendChild(el("option", { value: r[0], text: r[1] })); });
    var note = el("input", { id: "civ-note-" + c.id, type: "text", maxlength: 500 });
    var err = el("p", { "class": "civ-error", role: "alert" });
    var f = el("form", { "class": "civ-form", "aria-label": gettext("Report comment") }, [
      el("label", { "for": sel.id, text: gettext("Why are you reporting this comment?") }), sel,
      el("label", { "for": note.id, text: gettext("Anything else (optional)") }), note,
      el("div", { "class": "civ-actions" }, [el("button", { type: "submit", text: gettext("Send report") }),
        el("button", { type: "button", "class": "civ-link", text: gettext("Cancel"), on: { click: function () { s.textContent = ""; postHeight(); } } })]), err]);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      api("POST", "/comments/" + c.id + "/reports", { reason: sel.value, message: note.value })
        .then(function (d) { s.textContent = ""; toast(gettext("Report sent.") + " " + d.message, "ok", c.id); }, function (x) { err.textContent = x.message; });
    });
    s.appendChild(f); sel.focus(); postHeight();
  }
  function react(c) {
    if (!state.user) { toast(gettext("Sign in to like comments."), "info", c.id); return; }
    api("POST", "/comments/" + c.id + "/reactions", { kind: "like" }).then(function (d) {
      c.reaction_count = d.reaction_count; state.reacted[c.id] = d.reacted; render();
      var b = document.querySelector("#comment-" + c.id + " .civ-react"); if (b) b.focus();
      say(d.reacted ? gettext("Liked.") : gettext("Like removed."));
    }, function (x) { toast(x.message, "error", c.id); });
  }
  function focusOn(id, target) {
    return api("GET", "/comments/" + id + "/thread").then(function (d) {
      state.focus = id; state.focusNode = d.comment; state.tab = "all"; index(d.comment); render();
      var first = list.querySelector(".civ-comment"); if (first) { first.setAttribute("tabindex", "-1"); first.focus({ preventScroll: !!target }); }
    }, function (x) { toast(x.message, "error"); });
  }

  /* ---- reader profiles and "My comments" ---- */
  function toggleProfile(userId, host, btn) {
    if (btn.getAttribute("aria-expanded") === "true") { host.textContent = ""; btn.setAttribute("aria-expanded", "false"); postHeight(); return; }
    api("GET", "/stories/" + story.id + "/readers/" + userId).then(function (p) {
      host.textContent = "";
      var headId = "civ-profile-" + userId + "-" + (++noteSeq);
      var box = el("section", { "class": "civ-profile", "aria-labelledby": headId });
      box.appendChild(el("div", { "class": "civ-profile-head" }, [avatar(p.user), el("div", {}, [
        el("h3", { id: headId, tabindex: "-1", text: p.own ? gettext("My comments") : p.user.name }),
        el("p", { "class": "civ-hint", text: fill(ngettext("%(count)s published comment", "%(count)s published comments", p.count), { count: p.count }) + " \u00b7 " +
          fill(gettext("joined %(date)s"), { date: new Date(p.joined).toLocaleDateString(LANG, { year: "numeric", month: "long" }) }) })
      ])]));
      var ul = el("ul", { "class": "civ-profile-list" });
      p.comments.forEach(function (c) {
        var status = c.status === "pending" ? heldText(c.reasons) : c.status === "rejected" ? rejectedText(c) : "";
        ul.appendChild(el("li", {}, [
          el("a", { href: (c.story.url || "").split("#")[0] + "#comment-" + c.id, target: "_top", text: excerpt(c.html, 140) || gettext("(empty)") }),
          el("span", { "class": "civ-hint" }, [" \u00b7 ", c.story.title || gettext("this story"), " \u00b7 ", timeNode(c.created_at)]),
          status ? el("span", { "class": "civ-pending-label", text: status }) : null
        ]));
      });
      if (!p.comments.length) ul.appendChild(el("li", { "class": "civ-empty", text: gettext("No comments yet.") }));
      box.appendChild(ul);
      box.appendChild(el("button", { type: "button", "class": "civ-link", text: gettext("Close"), on: { click: function () {
        host.textContent = ""; btn.setAttribute("aria-expanded", "false"); btn.focus(); postHeight();
      } } }));
      host.appendChild(box);
      btn.setAttribute("aria-expanded", "true");
      box.querySelector("h3").focus({ preventScroll: true });
      postHeight();
    }, function (x) { toast(x.message, "error"); });
  }

  /* ---- permalinks: #comment-ID on the publisher's page ---- */
  function goTo(id, quiet) {
    id = +id;
    var c = byId[id];
    var shown = c && (function () { var n = c; while (n && n.parent_id) n = byId[n.parent_id]; return n && roots.indexOf(n) >= 0; })();
    var after = Promise.resolve();
    if (shown) {
      state.focus = null; state.tab = "all";
      for (var n = byId[c.parent_id]; n; n = byId[n.parent_id]) delete state.collapsed[n.id];
    } else {
      after = focusOn(id, true);
    }
    return after.then(function () {
      // The whole page of comments is built before looking for the one asked for.
      state.target = id; formatters(); state.painted = true; render();
      var node = document.getElementById("comment-" + id);
      if (!node) { if (!quiet) toast(gettext("That comment is not available."), "info"); return; }
      node.setAttribute("tabindex", "-1"); node.focus({ preventScroll: true });
      scrollParentTo(node);
    });
  }

  /* ---- tabs: all comments and featured ---- */
  function renderTabs() {
    tabs.textContent = "";
    var n = state.featured.length;
    tabs.hidden = !n;
    if (!n) { panel.removeAttribute("role"); panel.removeAttribute("aria-labelledby"); return; }
    [["all", gettext("All comments")], ["featured", fill(gettext("Featured (%(count)s)"), { count: n })]].forEach(function (t) {
      var on = state.tab === t[0];
      tabs.appendChild(el("button", { type: "button", role: "tab", id: "civ-tab-" + t[0], "aria-selected": on ? "true" : "false",
        "aria-controls": "civ-panel", tabindex: on ? "0" : "-1", text: t[1], "class": "civ-tab",
        on: { click: function () { selectTab(t[0]); }, keydown: function (e) {
          if (e.key === "ArrowRight" || e.key === "ArrowLeft") { e.preventDefault(); selectTab(state.tab === "all" ? "featured" : "all"); }
        } } }));
    });
    panel.setAttribute("role", "tabpanel"); panel.setAttribute("aria-labelledby", "civ-tab-" + state.tab);
  }
  var FIRST_PAINT = 12;
  function paintRest() {
    if (state.restPending) return;
    state.restPending = true;
    requestAnimationFrame(function () { setTimeout(function () {
      formatters(); state.painted = true; state.restPending = false; render();
    }, 0); });
  }
  function selectTab(tab) {
    state.tab = tab; state.focus = null; render();
    var b = document.getElementById("civ-tab-" + tab); if (b) b.focus();
  }
  function render() {
    countEl.textContent = fill(ngettext("%(count)s comment", "%(count)s comments", state.total), { count: state.total });
    renderTabs();
    sortLabel.hidden = state.tab === "featured";
    // Open forms (a reply being written, a report, a profile) survive a re-render, focus too.
    var open = {}, active = document.activeElement;
    Array.prototype.forEach.call(list.querySelectorAll(".civ-comment > .civ-slot"), function (s) {
      if (s.childNodes.length) open[s.parentNode.getAttribute("data-id")] = s;
    });
    list.textContent = "";
    if (state.tab === "featured") {
      focusBar.hidden = true; more.hidden = true;
      state.featured.forEach(function (c) { list.appendChild(commentNode(byId[c.id] || c, 0, true)); });
    } else if (state.focus) {
      focusBar.hidden = false; focusBar.textContent = "";
      focusBar.appendChild(el("button", { type: "button", "class": "civ-link", text: "\u2190 " + gettext("Back to all comments"),
        on: { click: function () { state.focus = null; render(); } } }));
      list.appendChild(commentNode(state.focusNode, 0));
      more.hidden = true;
    } else {
      focusBar.hidden = true;
      // The first paint builds only the top of the thread; the rest follows right after it.
      var upto = state.painted ? roots.length : Math.min(roots.length, FIRST_PAINT);
      roots.slice(0, upto).forEach(function (c) { list.appendChild(commentNode(c, 0)); });
      if (!roots.length) list.appendChild(el("li", { "class": "civ-empty", text: gettext("No comments yet.") }));
      more.hidden = state.nextOffset === null || state.nextOffset === undefined;
    }
    Object.keys(open).forEach(function (id) {
      var li = document.getElementById("comment-" + id);
      if (li) li.insertBefore(open[id], li.children[1] || null);
    });
    if (active && active !== document.body && document.contains(active) && document.activeElement !== active) active.focus({ preventScroll: true });
    if (!state.painted) paintRest();
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
      if (c.status === "approved" && !byId[c.id]) { arrived(c); insert(c, false); say(c.author ? fill(gettext("New comment from %(name)s."), { name: c.author.name }) : gettext("New comment from a reader.")); }
      else if (byId[c.id]) { update(c); render(); }
    });
    ["comment.edited", "comment.approved", "comment.featured", "comment.unfeatured"].forEach(function (kind) {
      es.addEventListener(kind, function (e) {
        var c = JSON.parse(e.data).comment;
        if (byId[c.id]) { update(c); render(); } else if (c.status === "approved") insert(c, false);
        if (kind === "comment.approved" && isMine(byId[c.id] || c)) toast(gettext("Your comment is published."), "ok", c.id);
        if (kind === "comment.featured" || kind === "comment.unfeatured") loadFeatured();
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
    if (e.data.civility === "logout") signOut(true);
    if (e.data.civility === "goto" && e.data.id) goTo(e.data.id);
  });
  function ssoLogin(jwt) {
    return api("POST", "/auth/sso", { site: cfg.site, token: jwt }).then(setSession, function (x) {
      // A token signs in once: the same page again (a reload) keeps the session it gave.
      if (x.code === "sso_replayed" && state.token) {
        return api("GET", "/auth/me").then(function (d) { state.user = d.user; }, function () {
          signOut(); toast(fill(gettext("Sign-in failed: %(error)s"), { error: x.message }), "error");
        });
      }
      // The publisher vouches for nobody valid: drop any older session rather than keep it.
      signOut(); toast(fill(gettext("Sign-in failed: %(error)s"), { error: x.message }), "error");
    });
  }
  var hash = new URLSearchParams(location.hash.slice(1));
  var wanted = hash.get("comment");
  try { state.token = localStorage.getItem(TOKEN_KEY); } catch (e) { state.token = null; }
  // The first page is asked for at once, alongside the session: the thread paints after one
  // round trip, and a signed-in reader's own things are filled in when both are back.
  var page = cfg.firstPage ? Promise.resolve(cfg.firstPage) : fetchPage(false);
  delete cfg.firstPage;
  var start = Promise.resolve();
  if (hash.get("sso")) start = ssoLogin(hash.get("sso"));
  else if (state.token) start = api("GET", "/auth/me").then(function (d) { state.user = d.user; }, function () { state.token = null; });
  if (hash.get("sso") || wanted) history.replaceState(null, "", location.pathname + location.search);
  page.then(function (data) {
    usePage(data, false); render();
    if (window.performance && performance.mark) performance.mark("civility:thread-rendered");
  }, function () { /* load() below reports it */ });
  start.then(function () { renderAuth(); renderComposer(); return load(false, page); })
    .then(function () { repliesSinceLastVisit(); if (wanted) return goTo(wanted); })
    .then(function () { connect(); loadFeatured(); });
})();
