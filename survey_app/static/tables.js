// Wide tables at phone width scroll inside their own region (UI.md "Tables"): a table
// that overflows becomes a focusable, labelled region, so keyboard users can scroll it,
// and shows a cue that more columns follow. Tables that fit are left alone.
(function () {
  // The cue comes from the page's own catalogue (base.html), in the page's language.
  var cue = (document.currentScript && document.currentScript.dataset.cue) || "Scroll sideways for more columns";
  function label(table) {
    var caption = table.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var heading = table.previousElementSibling;
    while (heading && !/^H[1-6]$/.test(heading.tagName)) heading = heading.previousElementSibling;
    return heading ? heading.textContent.trim() : cue;
  }
  function mark(table) {
    var wide = table.scrollWidth > table.clientWidth + 1;
    table.classList.toggle("scrolls", wide);
    if (wide) {
      table.setAttribute("tabindex", "0");
      table.setAttribute("role", "region");
      table.setAttribute("aria-label", label(table) + " — " + cue);
      table.setAttribute("title", cue);
    } else if (table.getAttribute("role") === "region") {
      table.removeAttribute("tabindex");
      table.removeAttribute("role");
      table.removeAttribute("aria-label");
      table.removeAttribute("title");
    }
  }
  function all() { document.querySelectorAll("table.data, table.ranking").forEach(mark); }
  all();
  window.addEventListener("resize", all);
})();
