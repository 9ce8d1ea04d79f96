// LTI client-side platform storage (lti.capabilities, lti.put_data, lti.get_data): answers only
// the registered tool origin and keeps values in memory, keyed by that origin.
function ltiPlatformStorage(allowed, store) {
  "use strict";
  var supported = [
    { subject: "lti.capabilities" },
    { subject: "lti.put_data" },
    { subject: "lti.get_data" }
  ];
  window.addEventListener("message", function (event) {
    var m = event.data;
    if (!m || typeof m !== "object" || typeof m.subject !== "string") { return; }
    if (m.subject.slice(0, 4) !== "lti." || m.subject.slice(-9) === ".response") { return; }
    if (event.origin !== allowed || !event.source) { return; }
    var data = store();
    var reply = { message_id: m.message_id, subject: m.subject + ".response" };
    if (m.subject === "lti.capabilities") {
      reply.supported_messages = supported;
    } else if (m.subject === "lti.put_data") {
      data[event.origin + " " + m.key] = String(m.value);
      reply.key = m.key; reply.value = String(m.value);
    } else if (m.subject === "lti.get_data") {
      reply.key = m.key; reply.value = data[event.origin + " " + m.key];
      if (reply.value === undefined) { reply.error = { code: "not_found", message: "no value" }; }
    } else {
      reply.error = { code: "unsupported_subject", message: "unsupported" };
    }
    event.source.postMessage(reply, event.origin);
  });
}
