/* Civility comment counts for article listings. Publisher snippet:
 *   <a href="/2026/11/story" data-civility-count="https://news.example/2026/11/story">Comments</a>
 *   <script src="https://comments.example/count.js" data-site="SITE" async></script>
 * Each marked element gets its text replaced by "N comments", in the page's language (data-lang
 * on the script, else <html lang>; the server words it). GETs of at most ~3 KB each (web servers
 * refuse longer request lines: gunicorn at 4 KB), no cookies. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var base = new URL(script.src, location.href).origin;
  var nodes = Array.prototype.slice.call(document.querySelectorAll("[data-civility-count]"));
  if (!nodes.length) return;
  var urls = nodes.map(function (n) { return n.getAttribute("data-civility-count"); });
  urls = urls.filter(function (u, i) { return urls.indexOf(u) === i; });
  var site = script.dataset.site || "";
  var lang = script.dataset.lang || document.documentElement.lang || "";
  var MAX_QUERY = 3000;
  function show(data) {
    nodes.forEach(function (n) {
      var c = data.counts[n.getAttribute("data-civility-count")];
      var label = data.labels && data.labels[n.getAttribute("data-civility-count")];
      if (typeof c === "number") n.textContent = label || (c === 1 ? "1 comment" : c + " comments");
    });
  }
  function ask(batch) {
    var q = new URLSearchParams({ site: site });
    batch.forEach(function (u) { q.append("url", u); });
    // Accept-Language is a CORS-safelisted header: still a simple request, no preflight.
    var headers = /^[A-Za-z0-9-]{1,35}$/.test(lang) ? { "Accept-Language": lang } : {};
    fetch(base + "/api/v1/counts?" + q.toString(), { credentials: "omit", headers: headers })
      .then(function (r) { return r.ok ? r.json() : { counts: {} }; })
      .then(show, function () {});
  }
  var batch = [], size = 0;
  urls.forEach(function (u) {
    var cost = encodeURIComponent(u).length + 5;
    if (batch.length && (size + cost > MAX_QUERY || batch.length === 200)) {
      ask(batch);
      batch = [];
      size = 0;
    }
    batch.push(u);
    size += cost;
  });
  if (batch.length) ask(batch);
})();
