// A respondent's link (/r/<token>, /o/<token>) answers with the form itself, one request
// less on a slow phone. The form's own address (/respond, from its action) then replaces
// the link's in the address bar and this history entry, so the token is not left on a
// shared screen or in a bookmark; reloading /respond shows the same form (the session).
(function () {
  "use strict";
  var form = document.querySelector("form.questionnaire");
  if (!form || !window.history || !/\/[ro]\/[^/]+$/.test(location.pathname)) return;
  history.replaceState(null, "", form.getAttribute("action") + location.search);
})();
