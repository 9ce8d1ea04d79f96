// The tool's one small script: local times and print buttons. Times are rendered in UTC
// (<time datetime="…Z">, or data-utc on SVG text); each is rewritten in the reader's time zone, as
// their browser knows it; without script the UTC text stays. [data-print] buttons print the page.
(function () {
  "use strict";
  var date = { day: "numeric", month: "short", year: "numeric" };
  var dateTime = { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" };
  function localize(node, iso) {
    var when = new Date(iso);
    if (isNaN(when.getTime())) { return; }
    var options = node.getAttribute("data-format") === "datetime" ? dateTime : date;
    node.textContent = new Intl.DateTimeFormat(undefined, options).format(when);
    if (node.tagName.toLowerCase() === "time") { node.setAttribute("title", iso); }
  }
  function run() {
    document.querySelectorAll("time[datetime]").forEach(function (node) {
      localize(node, node.getAttribute("datetime"));
    });
    document.querySelectorAll("[data-utc]").forEach(function (node) {
      localize(node, node.getAttribute("data-utc"));
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
