// Progress bars of a round: poll the JSON endpoint and update the table in place.
(function () {
  "use strict";
  var table = document.getElementById("progress");
  if (!table || !window.fetch) { return; }
  var url = table.getAttribute("data-progress-url");
  var INTERVAL_MS = 5000;

  // One decimal, the page's decimal sign (UI.md "Numbers"), as the page itself writes it.
  function percent(rate) {
    if (rate === null || rate === undefined) { return "—"; }
    var text = (rate * 100).toFixed(1);
    return (document.documentElement.lang === "vi" ? text.replace(".", ",") : text) + "%";
  }

  function cell(text, numeric) {
    var td = document.createElement("td");
    if (numeric) { td.className = "num"; }
    td.textContent = text;
    return td;
  }

  function newRow(r) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-key", r.unit + "|" + r.group);
    tr.appendChild(cell(r.unit)); tr.appendChild(cell(r.group_name || r.group));
    ["invited", "responded"].forEach(function (f) {
      var td = cell("", true); td.setAttribute("data-field", f); tr.appendChild(td);
    });
    var td = document.createElement("td"), bar = document.createElement("span");
    bar.className = "bar";
    var p = document.createElement("progress"); p.max = 1; p.setAttribute("aria-label", r.unit + " " + (r.group_name || r.group));
    var label = document.createElement("span"); label.setAttribute("data-field", "rate");
    bar.appendChild(p); bar.appendChild(label); td.appendChild(bar); tr.appendChild(td);
    var other = cell("", true); other.setAttribute("data-field", "other_channels"); tr.appendChild(other);
    table.tBodies[0].appendChild(tr);
    return tr;
  }

  function update(data) {
    data.rows.forEach(function (r) {
      var tr = table.querySelector('tr[data-key="' + CSS.escape(r.unit + "|" + r.group) + '"]') || newRow(r);
      tr.querySelector('[data-field="invited"]').textContent = r.invited;
      tr.querySelector('[data-field="responded"]').textContent = r.responded;
      tr.querySelector('[data-field="other_channels"]').textContent = r.other_channels;
      tr.querySelector('[data-field="rate"]').textContent = percent(r.rate);
      var p = tr.querySelector("progress");
      p.value = r.rate || 0; p.textContent = percent(r.rate);
    });
    Object.keys(data.totals).forEach(function (k) {
      var el = document.querySelector('[data-total="' + k + '"]');
      if (el && k === "rate") { el.textContent = percent(data.totals[k]); }
      else if (el) { el.textContent = data.totals[k]; }
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { update(data); } })
      .catch(function () { /* the next tick retries */ })
      .then(function () { window.setTimeout(poll, INTERVAL_MS); });
  }
  window.setTimeout(poll, INTERVAL_MS);
})();
