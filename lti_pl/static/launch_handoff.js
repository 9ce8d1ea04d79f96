// A launch whose cookie the browser refused inside the LMS iframe (no platform storage, e.g.
// Moodle): continue here after the Storage Access API grants access (a click is the user
// gesture it needs), or in a new top-level window. Each way uses the single-use handoff key.
(function () {
  "use strict";
  var here = document.getElementById("handoff-here");
  var away = document.getElementById("handoff-window");
  var status = document.getElementById("handoff-status");
  if (!here || !away) { return; }
  function used(message) {
    status.textContent = message;
    here.hidden = true;
    away.querySelector("button").disabled = true;
  }
  function cookieWorks() {
    document.cookie = "lti_pl_probe=1; Path=/; SameSite=None; Secure";
    var ok = document.cookie.indexOf("lti_pl_probe=1") !== -1;
    document.cookie = "lti_pl_probe=; Path=/; Max-Age=0; SameSite=None; Secure";
    return ok;
  }
  if (typeof document.requestStorageAccess === "function" && window.top !== window) {
    here.hidden = false;
    here.addEventListener("submit", function (event) {
      event.preventDefault();
      status.textContent = "Asking your browser…";
      document.requestStorageAccess().then(function () {
        if (cookieWorks()) {
          status.textContent = "Opening lti_pl…";
          here.submit();
        } else {
          status.textContent = "Your browser still blocks lti_pl here. Open it in a new window.";
          here.hidden = true;
        }
      }, function () {
        status.textContent = "Your browser did not allow lti_pl here. Open it in a new window.";
        here.hidden = true;
      });
    });
  }
  away.addEventListener("submit", function () {
    // The form itself opens the window (target=_blank); this page's key is then used.
    setTimeout(function () {
      used("lti_pl is open in a new window. You can work there; close it when you are done.");
    }, 0);
  });
})();
