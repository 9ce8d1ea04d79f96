// The tool's one small script: local times and print buttons. Times are rendered in UTC
// (<time datetime="…Z">, or data-utc on SVG text); each is rewritten in the reader's time zone, as
// their browser knows it; without script the UTC text stays. [data-print] buttons print the page.
(function () {
  "use strict";
  // A page rendered in the LTI launch's response names its own GET URL: a reload or back then
  // GETs the page instead of re-posting the single-use id_token.
  var own = document.querySelector('meta[name="lti-pl-page-url"]');
  if (own && window.history && history.replaceState) { history.replaceState(null, "", own.content); }
  var date = { day: "numeric", month: "short", year: "numeric" };
  var dateTime = { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" };
  var timeOnly = { hour: "2-digit", minute: "2-digit" };
  function localize(node, iso) {
    var when = new Date(iso);
    if (isNaN(when.getTime())) { return; }
    var format = node.getAttribute("data-format");
    var options = format === "datetime" ? dateTime : format === "time" ? timeOnly : date;
    node.textContent = new Intl.DateTimeFormat(undefined, options).format(when);
    if (node.tagName.toLowerCase() === "time") { node.setAttribute("title", iso); }
  }
  // An evidence form's radio (name="kind") shows only the fields of the chosen kind
  // ([data-kind-field] lists the kinds a field belongs to).
  function showFieldsOfKind(form) {
    var radios = form.querySelectorAll('input[type="radio"][name="kind"]');
    var fields = form.querySelectorAll("[data-kind-field]");
    if (!radios.length || !fields.length) { return; }
    function update() {
      var chosen = form.querySelector('input[type="radio"][name="kind"]:checked');
      var kind = chosen ? chosen.value : "";
      fields.forEach(function (field) {
        field.hidden = field.getAttribute("data-kind-field").split(" ").indexOf(kind) < 0;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
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
    // A teacher's preview draws the form as a disabled fieldset: the same fields show.
    document.querySelectorAll("form, fieldset.preview-controls").forEach(showFieldsOfKind);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
