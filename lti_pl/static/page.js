// The tool's one small script: local times, print buttons, the evidence form's fields, file checks
// before an upload, forms sent once. Times are rendered in UTC (<time datetime="…Z">, or data-utc
// on SVG text); each is rewritten in the reader's time zone, as their browser knows it; without
// script the UTC text stays. [data-print] buttons print the page.
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
        // A file chosen, then a link handed in instead: the file is not sent (nor uploaded).
        field.querySelectorAll('input[type="file"]').forEach(function (input) {
          if (!form.disabled) { input.disabled = field.hidden; }
        });
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }
  // A file field ([data-max-bytes], accept=".a,.b") checks the chosen file's type and size when
  // the form is sent, before the upload starts: on a school's Wi-Fi a student would otherwise wait
  // for a 60 MB video to go up only to be told it is too large (or, past the server's request
  // limit, see the connection dropped). The server checks the same again. A field hidden by the
  // kind radio is not checked: its file is not what the student is handing in.
  function megabytes(bytes) { return (bytes / 1048576).toFixed(1).replace(/\.0$/, ""); }
  function fileProblem(input) {
    var file = input.files && input.files[0];
    if (!file) { return ""; }
    var accepted = (input.getAttribute("accept") || "").split(",").filter(Boolean);
    var dot = file.name.lastIndexOf(".");
    var extension = dot > 0 ? file.name.slice(dot).toLowerCase() : "";
    if (input.hasAttribute("data-heic-advice") && (extension === ".heic" || extension === ".heif")) {
      return input.getAttribute("data-heic-advice");
    }
    if (accepted.length && accepted.indexOf(extension) < 0) {
      return "Files of this type are not accepted; upload one of: " +
        accepted.map(function (e) { return e.replace(/^\./, ""); }).join(", ") + ".";
    }
    var max = Number(input.getAttribute("data-max-bytes"));
    if (max && file.size > max) {
      var size = megabytes(file.size);
      return (size === megabytes(max) ? "That file is larger than the " + size + " MB limit."
        : "That file is " + size + " MB; the limit is " + megabytes(max) + " MB.") +
        " Choose a smaller file, or hand in a link to it.";
    }
    return "";
  }
  function checkFilesBeforeSending(form) {
    var inputs = form.querySelectorAll('input[type="file"][data-max-bytes]');
    if (!inputs.length) { return; }
    inputs.forEach(function (input) {
      var note = document.createElement("p");
      note.className = "field-error";
      note.id = input.id + "-check";
      note.setAttribute("role", "alert");
      note.hidden = true;
      input.insertAdjacentElement("afterend", note);
      var described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
      input.addEventListener("change", function () { show(input, note, fileProblem(input)); });
    });
    function show(input, note, problem) {
      note.textContent = problem;
      note.hidden = !problem;
      if (problem) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    }
    form.addEventListener("submit", function (event) {
      inputs.forEach(function (input) {
        if (input.disabled || input.closest("[hidden]")) { return; }
        var problem = fileProblem(input);
        show(input, document.getElementById(input.id + "-check"), problem);
        if (problem && !event.defaultPrevented) { event.preventDefault(); input.focus(); }
      });
    });
  }
  // A form saved once (it carries name="once", web/once.py) is sent once from the page: the first
  // tap says "Sending…" on its button and later taps do nothing until the answer comes (a slow
  // upload invited a second tap, and each saved again). The button is not disabled: a disabled
  // submitter's name and value (the quick grid's "then") would not be sent. Should a browser keep
  // the page in its back/forward cache all the same (pages are no-store), Back gives the form back.
  function sendOnce(form) {
    if (!form.querySelector('input[name="once"]')) { return; }
    var sending = false;
    var pressed = null;
    var label = "";
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }  // refused in the page (a file too large)
      if (sending) { event.preventDefault(); return; }
      sending = true;
      pressed = event.submitter || form.querySelector('button:not([type="button"])');
      if (pressed) {
        label = pressed.textContent;
        pressed.textContent = "Sending…";
        pressed.setAttribute("aria-disabled", "true");
      }
    });
    function again() {
      sending = false;
      if (pressed) { pressed.textContent = label; pressed.removeAttribute("aria-disabled"); }
    }
    window.addEventListener("pageshow", function (event) {
      if (event.persisted && sending) { again(); }
    });
    form.addEventListener("lti-pl:unsent", again);  // an upload that did not get through
  }
  // A form with a file to upload is sent by this script, so that the page can show how far the
  // upload has come: a video on school Wi-Fi takes minutes, and a page that only said "Sending…"
  // was left or tapped again. The tool answers it with the next page's address
  // (web.answer_a_sent_upload_with_its_next_page) and the page goes there, as after a plain form;
  // a form sent back with what to fix, or an error page, is drawn in place. If the connection
  // drops, the page says so and keeps what was typed and chosen.
  var UPLOAD_HEADER = "X-Lti-Pl-Upload";
  function uploadWithProgress(form) {
    // The forms for evidence and activity files (data-max-bytes: photos, videos, recordings); a
    // small import (a CSV, a framework's JSON) is sent as it is.
    if (!form.querySelector('input[type="file"][data-max-bytes]') || !window.FormData) { return; }
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }  // refused in the page, or already sending
      var chosen = Array.prototype.some.call(form.querySelectorAll('input[type="file"]'),
        function (input) { return !input.disabled && input.files && input.files.length; });
      if (!chosen) { return; }  // nothing to upload: the browser sends it as it does
      event.preventDefault();
      var data = new FormData(form);
      var submitter = event.submitter;
      if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
      var note = progressNote(form, submitter);
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader(UPLOAD_HEADER, "progress");
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { note.show(e.loaded, e.total); }
      });
      request.addEventListener("load", function () {
        var type = request.getResponseHeader("Content-Type") || "";
        if (request.status === 200 && type.indexOf("application/json") === 0) {
          note.done();
          window.location.assign(JSON.parse(request.responseText).location);
        } else {
          drawPage(request.responseText);
        }
      });
      function unsent() {
        note.failed();
        form.dispatchEvent(new CustomEvent("lti-pl:unsent"));
      }
      request.addEventListener("error", unsent);
      request.addEventListener("abort", unsent);
      request.send(data);
    });
  }
  function progressNote(form, submitter) {
    var box = form.querySelector(".upload-progress");
    if (!box) {
      box = document.createElement("div");
      box.className = "upload-progress";
      box.innerHTML = '<progress max="100" value="0" aria-label="Upload"></progress>' +
        '<p role="status"></p>';
      var after = submitter || form.querySelector('button:not([type="button"])');
      if (after) { after.insertAdjacentElement("afterend", box); } else { form.appendChild(box); }
    }
    var bar = box.querySelector("progress");
    var text = box.querySelector("p");
    var step = -1;
    box.hidden = false;
    bar.hidden = false;
    bar.value = 0;
    text.className = "";
    text.textContent = "Uploading…";
    return {
      show: function (loaded, total) {
        var percent = Math.floor(loaded * 100 / total);
        bar.value = percent;
        if (Math.floor(percent / 10) !== step) {  // said every 10 %, not at every packet
          step = Math.floor(percent / 10);
          text.textContent = "Uploading: " + amount(loaded, total) + " (" + percent + " %)";
        }
      },
      done: function () { bar.value = 100; text.textContent = "Uploaded. Saving…"; },
      failed: function () {
        bar.hidden = true;
        text.className = "field-error";
        text.textContent = "The upload stopped: the connection was lost. Nothing was saved, " +
          "and what you typed and chose is still here. Send it again when you are back online.";
      }
    };
  }
  // "3.2 of 48.5 MB", or "320 of 780 kB" for a file under a megabyte.
  function amount(loaded, total) {
    var unit = total < 1048576 ? 1024 : 1048576;
    var digits = unit === 1024 ? 0 : 1;
    return (loaded / unit).toFixed(digits) + " of " + (total / unit).toFixed(digits) +
      (unit === 1024 ? " kB" : " MB");
  }
  // The tool's answer drawn as the page (what a plain form's answer would have shown).
  function drawPage(html) {
    var answer = new DOMParser().parseFromString(html, "text/html");
    document.title = answer.title;
    document.body.replaceWith(document.adoptNode(answer.body));
    run();
    // Focus where a plain form's answer would send the eye: the field to fix, else the page's
    // alert, else its heading.
    var first = null;
    ['[aria-invalid="true"]', '[role="alert"]', "h1"].some(function (selector) {
      first = Array.prototype.filter.call(document.querySelectorAll(selector),
        function (node) { return node.getClientRects().length > 0; })[0] || null;
      return first;
    });
    if (first) {
      if (!first.hasAttribute("tabindex") && !/^(INPUT|TEXTAREA|SELECT|BUTTON|A)$/.test(first.tagName)) {
        first.setAttribute("tabindex", "-1");
      }
      first.focus();
    }
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
    document.querySelectorAll("form").forEach(checkFilesBeforeSending);
    document.querySelectorAll("form").forEach(sendOnce);  // after the file check: it may refuse
    document.querySelectorAll("form").forEach(uploadWithProgress);  // after both: either may stop it
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
