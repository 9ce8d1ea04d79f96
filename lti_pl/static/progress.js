// Live progress of a long job (roster sync, sending many scores): polls the job's JSON endpoint
// and moves the bar and its text until the job ends, then offers a link to see the result.
// Without script the page still says how far the job got when it was drawn, with a reload link.
(function () {
  "use strict";
  var POLL_MS = 1000;
  function follow(box) {
    var url = box.getAttribute("data-progress-url");
    var bar = box.querySelector("progress");
    var text = box.querySelector(".job-progress-text");
    var reload = box.querySelector(".job-progress-reload");
    var done = box.querySelector(".job-progress-done");
    if (reload) { reload.hidden = true; }
    function show(job) {
      bar.value = job.percent;
      bar.textContent = job.percent + "%";
      text.textContent = job.text;
      text.classList.toggle("error", job.state === "failed");
      box.setAttribute("data-state", job.state);
      if (job.finished) {
        box.setAttribute("data-finished", "true");
        if (done) { done.hidden = false; }
        return;
      }
      window.setTimeout(poll, POLL_MS);
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) {
          if (!answer.ok) { throw new Error(String(answer.status)); }
          return answer.json();
        })
        .then(show)
        .catch(function () {
          text.textContent = "Progress could not be read: reload this page to see how the job ended.";
          if (reload) { reload.hidden = false; }
        });
    }
    poll();
  }
  function run() {
    document.querySelectorAll('.job-progress[data-finished="false"]').forEach(follow);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
