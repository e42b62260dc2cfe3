/* Civility comment counts for article listings. Publisher snippet:
 *   <a href="/2026/11/story" data-civility-count="https://news.example/2026/11/story">Comments</a>
 *   <script src="https://comments.example/count.js" data-site="SITE" async></script>
 * Each marked element gets its text replaced by "N comments". One GET, no cookies. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var base = new URL(script.src, location.href).origin;
  var nodes = Array.prototype.slice.call(document.querySelectorAll("[data-civility-count]"));
  if (!nodes.length) return;
  var urls = nodes.map(function (n) { return n.getAttribute("data-civility-count"); });
  var q = new URLSearchParams({ site: script.dataset.site || "" });
  urls.slice(0, 200).forEach(function (u) { q.append("url", u); });
  fetch(base + "/api/v1/counts?" + q.toString(), { credentials: "omit" })
    .then(function (r) { return r.ok ? r.json() : { counts: {} }; })
    .then(function (data) {
      nodes.forEach(function (n) {
        var c = data.counts[n.getAttribute("data-civility-count")];
        if (typeof c === "number") n.textContent = c === 1 ? "1 comment" : c + " comments";
      });
    });
})();
