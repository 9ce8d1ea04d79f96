// LTI client-side platform storage (1EdTech "LTI Client Side postMessages"): when the LMS iframe
// blocks cookies, state and nonce are kept by the platform's storage frame instead.
(function () {
  "use strict";
  var el = document.getElementById("lti-storage");
  if (!el) { return; }
  var origin = el.dataset.origin;
  var targetName = el.dataset.target || "_parent";
  function target() {
    if (targetName && targetName !== "_parent") {
      try { return window.parent.frames[targetName] || window.parent; } catch (e) { return window.parent; }
    }
    return window.parent;
  }
  var pending = {};
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || !event.data.message_id) { return; }
    var resolve = pending[event.data.message_id];
    if (resolve) { delete pending[event.data.message_id]; resolve(event.data); }
  });
  // Sent again every half second until answered (3 s in all): the LMS page may not listen yet
  // when the frame's first message goes (its script still loading); put and get are idempotent.
  function send(message) {
    message.message_id = "m" + Math.random().toString(36).slice(2) + Date.now();
    return new Promise(function (resolve, reject) {
      var resend = setInterval(function () { target().postMessage(message, origin); }, 500);
      pending[message.message_id] = function (answer) { clearInterval(resend); resolve(answer); };
      target().postMessage(message, origin);
      setTimeout(function () {
        clearInterval(resend);
        delete pending[message.message_id];
        reject(new Error("platform storage did not answer"));
      }, 3000);
    });
  }
  var state = el.dataset.state, nonce = el.dataset.nonce;
  if (el.dataset.mode === "put") {
    Promise.all([
      send({ subject: "lti.put_data", key: "state_" + state, value: state }),
      send({ subject: "lti.put_data", key: "nonce_" + nonce, value: nonce })
    ]).then(function () { window.location.href = el.dataset.next; },
            function () { window.location.href = el.dataset.next; });
  } else {
    Promise.all([
      send({ subject: "lti.get_data", key: "state_" + state }),
      send({ subject: "lti.get_data", key: "nonce_" + nonce })
    ]).then(function (answers) {
      var form = document.getElementById("lti-storage-form");
      form.elements.lti_storage_state.value = answers[0].value || "";
      form.elements.lti_storage_nonce.value = answers[1].value || "";
      form.submit();
    }, function () {
      // No answer: posted with the fields empty, which the tool answers with a page that says
      // so (it never sends this page again: that would loop).
      document.getElementById("lti-storage-form").submit();
    });
  }
})();
