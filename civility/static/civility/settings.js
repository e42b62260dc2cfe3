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
    if (out) out.textContent = range.disabled ? "never" : Number(range.value).toFixed(2);
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

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  function delta(now, then) {
    var d = then - now;
    if (!d) return el("span", "no change");
    return el("span", (d > 0 ? "+" : "") + d, d > 0 ? "set-more" : "set-fewer");
  }

  var LABELS = { hold: "Held for a moderator", reject: "Rejected", approve: "Published" };
  var VERB = { hold: "held", reject: "rejected", approve: "published" };

  function render(data) {
    details.textContent = "";
    if (!data.sample) {
      summary.textContent =
        "No scored comments on this site yet: nothing to preview. The values still apply to new comments.";
      return;
    }
    var p = data.proposed;
    summary.textContent =
      "Of the last " + plural(data.sample, "scored comment", "scored comments") +
      ", these values would hold " + p.hold + " and reject " + p.reject +
      " (now " + data.current.hold + " and " + data.current.reject + "); " +
      plural(data.changed, "comment", "comments") + " decided differently. By the model alone: word rules, links and pre-moderation come on top.";
    var table = el("table");
    var cap = el("caption", "By the model's vote, on the last " + data.sample + " comments", "mod-visually-hidden");
    table.appendChild(cap);
    var head = el("tr");
    head.appendChild(el("th", "Decision"));
    head.appendChild(el("th", "Now"));
    head.appendChild(el("th", "With these values"));
    head.appendChild(el("th", "Change"));
    head.querySelectorAll("th").forEach(function (th) { th.setAttribute("scope", "col"); });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el("tbody");
    ["hold", "reject", "approve"].forEach(function (k) {
      var row = el("tr");
      var th = el("th", LABELS[k]);
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
      details.appendChild(el("h3", k === "approve" ? "Would be published (held or rejected now)" : "Would be " + VERB[k]));
      var ul = el("ul");
      list.forEach(function (ex) {
        var li = el("li");
        var a = el("a", "“" + ex.text + "”");
        a.href = ex.url;
        li.appendChild(a);
        var why = ex.why.length ? " — " + ex.why.join(", ") : "";
        var was = ex.changed ? " (now " + VERB[ex.now] + ")" : "";
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
          summary.textContent = (res.data.error && res.data.error.message) || "The preview failed.";
          return;
        }
        render(res.data);
        box.setAttribute("data-ready", "1");
      })
      .catch(function (err) {
        if (err && err.name === "AbortError") return;
        box.removeAttribute("aria-busy");
        summary.textContent = "The preview is unavailable right now.";
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
