// Polls the results progress endpoint while an aggregation runs; reloads when it ends.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box || box.getAttribute("data-finished") === "true") { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector("progress");
  var status = box.querySelector(".progress-status");

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        if (bar) { bar.value = p.percent; bar.textContent = p.percent + "%"; }
        if (status && p.job) { status.textContent = "#" + p.job.id + " · " + p.job.state + " · " + p.percent + "%"; }
        if (p.finished) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 1000);
})();
