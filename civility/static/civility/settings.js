// The settings page's thresholds: each slider shows its value, "never" turns it off, and a live
// preview asks the server what the values on screen would do to the site's recent comments
// (stored scores, the same vote the decision pipeline casts; nothing is saved until "Save").
(function () {
  "use strict";
  var form = document.getElementById("thresholds-form");
  if (!form) return;
  var box = document.getElementById("threshold-preview");
  var url = form.getAttribute("data-preview-url");
  var size = form.getAttribute("data-preview-size") || "500";
  var timer = null;
  var inflight = null;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function ranges() {
    return Array.prototype.slice.call(form.querySelectorAll("input[type=range]"));
  }

  function neverBox(range) {
    return form.querySelector("input[data-range='" + range.id + "']");
  }

  function show(range) {
    var out = document.getElementById(range.id + "_out");
    var never = neverBox(range);
    range.disabled = !!(never && never.checked);
    if (out) out.textContent = range.disabled ? gettext("never") : Number(range.value).toFixed(2);
  }

  function params() {
    var q = new URLSearchParams();
    ranges().forEach(function (range) {
      var never = neverBox(range);
      if (never && never.checked) q.set(range.name + "_off", "on");
      else q.set(range.name, range.value);
    });
    q.set("size", size);
    return q;
  }

  // The summary is the one live region: a screen reader hears the counts, not every example.
  var summary = el("p", "", "set-summary");
  summary.setAttribute("role", "status");
  var details = el("div");
  box.textContent = "";
  box.appendChild(summary);
  box.appendChild(details);

  // Words in the moderator's language (Django's JavaScript catalogue, loaded by base.html).
  function gettext(s) { var d = window.django; return d && d.gettext ? d.gettext(s) : s; }
  function ngettext(one, many, n) { var d = window.django; return d && d.ngettext ? d.ngettext(one, many, n) : (n === 1 ? one : many); }
  function fill(s, values) { return s.replace(/%\((\w+)\)s/g, function (m, k) { return String(values[k]); }); }

  function delta(now, then) {
    var d = then - now;
    if (!d) return el("span", gettext("no change"));
    return el("span", (d > 0 ? "+" : "") + d, d > 0 ? "set-more" : "set-fewer");
  }

  function LABEL(k) { return { hold: gettext("Held for a moderator"), reject: gettext("Rejected"), approve: gettext("Published") }[k]; }
  function NOW(k) { return { hold: gettext("(now held)"), reject: gettext("(now rejected)"), approve: gettext("(now published)") }[k]; }

  function render(data) {
    details.textContent = "";
    if (!data.sample) {
      summary.textContent =
        gettext("No scored comments on this site yet: nothing to preview. The values still apply to new comments.");
      return;
    }
    var p = data.proposed;
    summary.textContent =
      fill(ngettext("Of the last %(n)s scored comment, these values would hold %(hold)s and reject %(reject)s (now %(hold_now)s and %(reject_now)s);",
                    "Of the last %(n)s scored comments, these values would hold %(hold)s and reject %(reject)s (now %(hold_now)s and %(reject_now)s);", data.sample),
           { n: data.sample, hold: p.hold, reject: p.reject, hold_now: data.current.hold, reject_now: data.current.reject }) + " " +
      fill(ngettext("%(n)s comment decided differently.", "%(n)s comments decided differently.", data.changed), { n: data.changed }) + " " +
      gettext("By the model alone: word rules, links and pre-moderation come on top.");
    var table = el("table");
    var cap = el("caption", fill(gettext("By the model's vote, on the last %(n)s comments"), { n: data.sample }), "mod-visually-hidden");
    table.appendChild(cap);
    var head = el("tr");
    head.appendChild(el("th", gettext("Decision")));
    head.appendChild(el("th", gettext("Now")));
    head.appendChild(el("th", gettext("With these values")));
    head.appendChild(el("th", gettext("Change")));
    head.querySelectorAll("th").forEach(function (th) { th.setAttribute("scope", "col"); });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el("tbody");
    ["hold", "reject", "approve"].forEach(function (k) {
      var row = el("tr");
      var th = el("th", LABEL(k));
      th.setAttribute("scope", "row");
      row.appendChild(th);
      row.appendChild(el("td", data.current[k]));
      row.appendChild(el("td", data.proposed[k]));
      var td = el("td");
      td.appendChild(delta(data.current[k], data.proposed[k]));
      row.appendChild(td);
      body.appendChild(row);
    });
    table.appendChild(body);
    details.appendChild(table);
    ["reject", "hold", "approve"].forEach(function (k) {
      var list = data.examples[k] || [];
      if (!list.length) return;
      details.appendChild(el("h3", { approve: gettext("Would be published (held or rejected now)"), hold: gettext("Would be held"), reject: gettext("Would be rejected") }[k]));
      var ul = el("ul");
      list.forEach(function (ex) {
        var li = el("li");
        var a = el("a", "“" + ex.text + "”");
        a.href = ex.url;
        li.appendChild(a);
        var why = ex.why.length ? " — " + ex.why.join(", ") : "";
        var was = ex.changed ? " " + NOW(ex.now) : "";
        li.appendChild(document.createTextNode(why + was));
        ul.appendChild(li);
      });
      details.appendChild(ul);
    });
  }

  function refresh() {
    if (inflight) inflight.abort();
    inflight = window.AbortController ? new AbortController() : null;
    box.setAttribute("aria-busy", "true");
    fetch(url + "?" + params().toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: inflight ? inflight.signal : undefined,
    })
      .then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; });
      })
      .then(function (res) {
        box.removeAttribute("aria-busy");
        if (!res.ok) {
          details.textContent = "";
          summary.textContent = (res.data.error && res.data.error.message) || gettext("The preview failed.");
          return;
        }
        render(res.data);
        box.setAttribute("data-ready", "1");
      })
      .catch(function (err) {
        if (err && err.name === "AbortError") return;
        box.removeAttribute("aria-busy");
        summary.textContent = gettext("The preview is unavailable right now.");
      });
  }

  function later() {
    box.removeAttribute("data-ready");
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  ranges().forEach(function (range) {
    show(range);
    range.addEventListener("input", function () { show(range); later(); });
    var never = neverBox(range);
    if (never) never.addEventListener("change", function () { show(range); later(); });
  });
  // A disabled slider is not sent: "never" is, as <name>_off. Re-enable them just to submit.
  form.addEventListener("submit", function () {
    ranges().forEach(function (range) { range.disabled = false; });
  });
  refresh();
})();
