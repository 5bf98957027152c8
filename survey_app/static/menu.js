// The header menu folds behind one button at phone width (≤ 600 px). Without
// JavaScript the menu simply stays open.
(function () {
  var button = document.querySelector(".menu-toggle");
  var menu = document.getElementById("site-menu");
  if (!button || !menu) return;
  var narrow = window.matchMedia("(max-width: 600px)");
  function fold() {
    var folded = narrow.matches && button.getAttribute("aria-expanded") !== "true";
    button.hidden = !narrow.matches;
    menu.classList.toggle("folded", folded);
  }
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", String(!open));
    fold();
  });
  narrow.addEventListener("change", fold);
  fold();
})();
