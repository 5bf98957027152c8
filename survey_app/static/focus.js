// An error summary or alert marked data-autofocus takes focus when the page loads, so a
// screen reader announces it and a keyboard user starts from it (UI.md "Forms").
(function () {
  var target = document.querySelector("[data-autofocus]");
  if (target) target.focus();
})();
