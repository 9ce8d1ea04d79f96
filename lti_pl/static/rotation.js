// Station rotations: the countdown of [data-rotation] (projector view, student home) and the
// planner's time zone. The countdown is computed from the stored start and slot length, with the
// server's clock (data-server-now) correcting the browser's; when the slot the page shows is over,
// the page reloads to show the next one. Without script the server's text stays.
(function () {
  "use strict";
  function format(seconds) {
    var s = Math.max(0, Math.ceil(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = h ? (m < 10 ? "0" : "") + m : String(m);
    return (h ? h + ":" : "") + mm + ":" + (r < 10 ? "0" : "") + r;
  }
  function tick(box) {
    var start = Date.parse(box.getAttribute("data-starts-at"));
    var length = Number(box.getAttribute("data-slot-seconds"));
    var slots = Number(box.getAttribute("data-slots"));
    var shown = Number(box.getAttribute("data-slot"));
    var server = Date.parse(box.getAttribute("data-server-now"));
    var skew = isNaN(server) ? 0 : server - Date.now();
    var output = box.querySelector("[data-countdown-time]");
    var reloading = false;
    if (isNaN(start) || !length || !slots) { return; }
    function update() {
      var elapsed = (Date.now() + skew - start) / 1000;
      var slot = elapsed < 0 ? -1 : Math.min(Math.floor(elapsed / length), slots);
      if (slot > shown) {  // the shown slot is over (never backwards: no reload loop)
        if (!reloading) { reloading = true; window.location.reload(); }
        return;
      }
      if (output) {
        output.textContent = format(shown < 0 ? -elapsed : (shown + 1) * length - elapsed);
      }
    }
    update();
    window.setInterval(update, 1000);
  }
  function timeZone(form) {
    var offset = form.querySelector("[data-tz-offset]");
    var start = form.querySelector('input[type="datetime-local"]');
    if (!offset) { return; }
    form.addEventListener("submit", function () {
      var when = start && start.value ? new Date(start.value) : new Date();
      offset.value = String(isNaN(when.getTime()) ? new Date().getTimezoneOffset() : when.getTimezoneOffset());
    });
  }
  function run() {
    document.querySelectorAll("[data-rotation]").forEach(tick);
    document.querySelectorAll("form").forEach(timeZone);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
