/* Civility embed loader. Publisher snippet:
 *   <div id="civility-thread"></div>
 *   <script src="https://comments.example/embed.js" data-site="SITE" async></script>
 * Optional: data-url (defaults to the canonical link, then the page URL), data-title,
 * data-sso-token (a JWT your backend signs), data-target (another element id).
 * Mounts an iframe served by Civility and keeps it as tall as its content. No cookies, no
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
  var frame = document.createElement("iframe");
  // The SSO token rides in the fragment: it never reaches a server log or a Referer header.
  frame.src = base + "/embed/thread?" + params.toString() +
    (d.ssoToken ? "#sso=" + encodeURIComponent(d.ssoToken) : "");
  frame.title = "Reader comments";
  frame.setAttribute("scrolling", "no");
  frame.style.cssText = "width:100%;border:0;min-height:320px;overflow:hidden;display:block";
  mount.appendChild(frame);
  window.addEventListener("message", function (e) {
    if (e.origin !== base || e.source !== frame.contentWindow || !e.data) return;
    if (e.data.civility === "height") frame.style.height = Math.ceil(e.data.height) + "px";
  });
  window.Civility = {
    frame: frame,
    login: function (token) { frame.contentWindow.postMessage({ civility: "sso", token: token }, base); },
    logout: function () { frame.contentWindow.postMessage({ civility: "logout" }, base); }
  };
})();
