/* Draws the report charts (templates/reports/) with Chart.js from the JSON that each page embeds
   with `json_script`: <canvas data-chart="ID"> reads <script id="ID" type="application/json">.
   {type, labels, datasets: [{label, data}], max?, stacked?, horizontal?}. No inline script or
   style is needed (CSP `script-src 'self'; style-src 'self'`); the table beside each chart holds
   the same figures, so nothing is lost without JavaScript. */
(function () {
  "use strict";
  var PALETTE = ["#0b5cad", "#1a7f37", "#c4182b", "#8a5a00", "#6f42c1", "#0a7e8c", "#d1600f", "#5b6570", "#b0286b"];

  function dataset(spec, index, single) {
    var colour = PALETTE[index % PALETTE.length];
    return {
      label: spec.label,
      data: spec.data,
      backgroundColor: single ? spec.data.map(function (_, i) { return PALETTE[i % PALETTE.length]; }) : colour,
      borderColor: colour,
      borderWidth: 0,
      maxBarThickness: 48
    };
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart !== "function") return null;
    var spec = JSON.parse(source.textContent);
    var single = spec.datasets.length === 1;
    var valueAxis = { beginAtZero: true, stacked: !!spec.stacked, ticks: { precision: 0 } };
    if (spec.max) valueAxis.max = spec.max;
    var labelAxis = { stacked: !!spec.stacked, ticks: { autoSkip: false } };
    var chart = new window.Chart(canvas, {
      type: spec.type || "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (d, i) { return dataset(d, i, single); })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: spec.horizontal ? "y" : "x",
        scales: spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
        plugins: { legend: { display: !single, position: "bottom" } }
      }
    });
    canvas.setAttribute("data-drawn", "true");
    return chart;
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
