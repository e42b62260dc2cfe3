/* Campaign cards for the desk's queue: near-same comments from several accounts in a short
   window (GET api/campaigns) shown as one card above the queue, approved or rejected in one step
   (POST api/campaigns). The queue's own cards stay (keyboard order is moderation.js's); each
   member is labelled with its campaign. Reads the page's config from #mod-config. */
(function () {
  "use strict";
  var cfgNode = document.getElementById("mod-config");
  var list = document.getElementById("cards");
  if (!cfgNode || !list) return;
  var cfg = JSON.parse(cfgNode.textContent);
  var css = document.createElement("link");
  css.rel = "stylesheet"; css.href = "/moderate/assets/dsa.css";
  document.head.appendChild(css);

  function el(tag, attrs, children) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") n.textContent = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined) n.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) n.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return n;
  }
  // Words in the moderator's language (Django's JavaScript catalogue, loaded by base.html).
  function gettext(s) { var d = window.django; return d && d.gettext ? d.gettext(s) : s; }
  function ngettext(one, many, n) { var d = window.django; return d && d.ngettext ? d.ngettext(one, many, n) : (n === 1 ? one : many); }
  function fill(s, values) { return s.replace(/%\((\w+)\)s/g, function (m, k) { return String(values[k]); }); }
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function call(method, path, body) {
    return fetch(cfg.api + path, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) {
        if (!r.ok) throw new Error((d.error && d.error.message) || ("HTTP " + r.status));
        return d;
      });
    });
  }

  var wrap = el("section", { "class": "dsa-campaigns-wrap", "aria-labelledby": "dsa-campaigns-title", hidden: "" });
  var title = el("h2", { id: "dsa-campaigns-title", text: gettext("Campaigns") });
  var status = el("p", { role: "status", "class": "mod-status" });
  var cardsEl = el("ol", { "class": "dsa-campaigns" });
  wrap.appendChild(title); wrap.appendChild(status); wrap.appendChild(cardsEl);
  list.parentNode.insertBefore(wrap, list);

  var grounds = [], campaigns = [], memberOf = {};
  function when(iso) { var d = new Date(iso); return d.toLocaleString(document.documentElement.lang || undefined); }

  function campaignCard(c, n) {
    var id = "dsa-campaign-" + n;
    var reason = el("input", { type: "text", id: id + "-reason", maxlength: "500", value: gettext("Coordinated campaign: the same message from several accounts.") });
    var ground = el("select", { id: id + "-ground" });
    grounds.forEach(function (g) {
      var o = el("option", { value: g.code, text: g.label });
      if (g.code === "spam") o.selected = true;
      ground.appendChild(o);
    });
    var approve = el("button", { type: "button", text: fill(gettext("Approve all %(n)s"), { n: c.comments }) });
    var reject = el("button", { type: "button", text: fill(gettext("Reject all %(n)s"), { n: c.comments }) });
    function act(action) {
      approve.disabled = reject.disabled = true;
      var body = { ids: c.ids, action: action };
      if (action === "reject") { body.reason = reason.value; body.ground = ground.value; }
      call("POST", "campaigns", body).then(function (d) {
        var done = Object.keys(d.results).filter(function (k) { return d.results[k].ok; }).length;
        status.textContent = fill(action === "approve"
          ? ngettext("Approved %(n)s comment of the campaign.", "Approved %(n)s comments of the campaign.", done)
          : ngettext("Rejected %(n)s comment of the campaign.", "Rejected %(n)s comments of the campaign.", done), { n: done });
        // moderation.js's toast: Undo (and the u key) takes the whole campaign back.
        if (window.civilityDeskUndoable) window.civilityDeskUndoable(status.textContent, d.undo || []);
        refresh();
      }, function (e) {
        status.textContent = e.message;
        approve.disabled = reject.disabled = false;
      });
    }
    approve.addEventListener("click", function () { act("approve"); });
    reject.addEventListener("click", function () { act("reject"); });
    return el("li", { "class": "dsa-campaign", "data-ids": c.ids.join(","), "aria-labelledby": id + "-title" }, [
      el("h3", { id: id + "-title", text: fill(gettext("Campaign: %(comments)s near-same comments from %(accounts)s accounts"), { comments: c.comments, accounts: c.accounts }) }),
      el("p", { "class": "mod-card-head", text: fill(gettext("%(first)s to %(last)s"), { first: when(c.first_at), last: when(c.last_at) }) + " \u00b7 " +
        fill(ngettext("%(n)s story", "%(n)s stories", c.stories), { n: c.stories }) + " \u00b7 " + c.authors.join(", ") }),
      el("blockquote", { "class": "mod-body", text: c.sample }),
      el("div", { "class": "dsa-fields" }, [
        el("label", { "for": reason.id, text: gettext("Reason (the authors read it)") }), reason,
        el("label", { "for": ground.id, text: gettext("Ground") }), ground
      ]),
      el("div", { "class": "dsa-buttons" }, [approve, reject])
    ]);
  }

  function label() {
    list.querySelectorAll(".mod-card").forEach(function (card) {
      var n = memberOf[card.getAttribute("data-id")];
      var old = card.querySelector(".dsa-member");
      if (n === undefined) { if (old) old.remove(); return; }
      if (old) return;
      var head = card.querySelector(".mod-card-head") || card;
      head.appendChild(el("span", { "class": "mod-badge dsa-member", text: fill(gettext("campaign %(n)s"), { n: n + 1 }) }));
    });
  }

  function render() {
    cardsEl.textContent = "";
    memberOf = {};
    campaigns.forEach(function (c, n) {
      c.ids.forEach(function (i) { memberOf[String(i)] = n; });
      cardsEl.appendChild(campaignCard(c, n));
    });
    wrap.hidden = !campaigns.length;
    label();
  }

  var pending = null;
  function refresh() {
    if (["pending", "reported", "unmoderated"].indexOf(cfg.queue) < 0) return;
    call("GET", "campaigns?queue=" + encodeURIComponent(cfg.queue)).then(function (d) {
      grounds = d.grounds || [];
      var before = JSON.stringify(campaigns.map(function (c) { return c.ids; }));
      campaigns = d.campaigns || [];
      if (before !== JSON.stringify(campaigns.map(function (c) { return c.ids; }))) render(); else label();
      document.body.setAttribute("data-campaigns", String(campaigns.length));
    }, function () { /* the queue works without campaign cards */ });
  }
  // The queue re-renders its cards on every change (live events, actions): look again then.
  new MutationObserver(function () {
    label();
    clearTimeout(pending);
    pending = setTimeout(refresh, 400);
  }).observe(list, { childList: true });
  refresh();
})();
