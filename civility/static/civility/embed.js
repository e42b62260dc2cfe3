/* Civility embed loader. Publisher snippet:
 *   <div id="civility-thread"></div>
 *   <script src="https://comments.example/embed.js" data-site="SITE" async></script>
 * Optional: data-url (defaults to the canonical link, then the page URL), data-title,
 * data-sso-token (a JWT your backend signs), data-target (another element id), data-theme
 * ("light", "dark"; default: the reader's prefers-color-scheme), data-lang (en, de, fr, es;
 * default: the page's <html lang>, then the reader's browser).
 * Mounts an iframe served by Civility and keeps it as tall as its content. Links to a comment
 * (#comment-ID on this page) scroll to it and highlight it, also on a fresh load. No cookies, no
 * third-party requests. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var base = new URL(script.src, location.href).origin;
  var d = script.dataset;
  var mount = document.getElementById(d.target || "civility-thread");
  if (!mount) return;
  var canonical = document.querySelector('link[rel="canonical"]');
  var url = d.url || (canonical && canonical.href) || location.href.split("#")[0];
  var params = new URLSearchParams({ site: d.site || "", url: url, title: d.title || document.title });
  if (d.theme === "light" || d.theme === "dark") params.set("theme", d.theme);
  var lang = d.lang || document.documentElement.lang;
  if (lang) params.set("lang", lang);
  var frame = document.createElement("iframe");
  // The SSO token and the comment asked for ride in the fragment: never in a server log or a
  // Referer header.
  var frag = new URLSearchParams();
  if (d.ssoToken) frag.set("sso", d.ssoToken);
  var wanted = /^#comment-(\d+)$/.exec(location.hash);
  if (wanted) frag.set("comment", wanted[1]);
  frame.src = base + "/embed/thread?" + params.toString() + (frag.toString() ? "#" + frag.toString() : "");
  frame.title = "Reader comments";
  frame.setAttribute("scrolling", "no");
  frame.style.cssText = "width:100%;border:0;min-height:320px;overflow:hidden;display:block";
  mount.appendChild(frame);
  window.addEventListener("message", function (e) {
    if (e.origin !== base || e.source !== frame.contentWindow || !e.data) return;
    if (e.data.civility === "height") frame.style.height = Math.ceil(e.data.height) + "px";
    if (e.data.civility === "title" && typeof e.data.title === "string") frame.title = e.data.title.slice(0, 120);
    if (e.data.civility === "scroll" && typeof e.data.top === "number") {
      window.scrollTo(0, Math.max(0, frame.getBoundingClientRect().top + window.pageYOffset + e.data.top - 16));
    }
    if (e.data.civility === "permalink" && e.data.id && history.replaceState) {
      history.replaceState(history.state, "", "#comment-" + (+e.data.id));
    }
  });
  window.addEventListener("hashchange", function () {
    var m = /^#comment-(\d+)$/.exec(location.hash);
    if (m) frame.contentWindow.postMessage({ civility: "goto", id: +m[1] }, base);
  });
  window.Civility = {
    frame: frame,
    login: function (token) { frame.contentWindow.postMessage({ civility: "sso", token: token }, base); },
    logout: function () { frame.contentWindow.postMessage({ civility: "logout" }, base); }
  };
})();
