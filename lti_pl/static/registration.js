// LTI Dynamic Registration: tell the LMS the registration is done so it closes this frame.
(function () {
  "use strict";
  (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
})();
