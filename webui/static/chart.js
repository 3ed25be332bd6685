// Draws the price chart of a product page with uPlot; the table below stays the readable record.
(function () {
  function month(t) {
    if (t == null) return "—";
    var d = new Date(t * 1000);
    return d.getUTCFullYear() + "-" + String(d.getUTCMonth() + 1).padStart(2, "0");
  }
  function height(width) { return Math.round(Math.min(360, Math.max(220, width * 0.5))); }
  function draw() {
    var box = document.getElementById("price-chart");
    var data = document.getElementById("price-series");
    if (!box || !data || typeof uPlot === "undefined") return;
    var series = JSON.parse(data.textContent);
    var xs = series.periods.map(function (p) {
      return Date.UTC(+p.slice(0, 4), +p.slice(5, 7) - 1, 1) / 1000;
    });
    var width = Math.max(280, box.clientWidth || 600);
    var options = {
      width: width, height: height(width),
      scales: { x: { time: true } },
      axes: [{ values: function (u, ticks) { return ticks.map(month); } }, { size: 64 }],
      series: [
        { label: "月份", value: function (u, t) { return month(t); } },
        { label: series.label, stroke: "#0b5cad", width: 2, spanGaps: false, points: { show: true, size: 7 } }
      ]
    };
    box.textContent = "";
    var plot = new uPlot(options, [xs, series.prices], box);
    window.addEventListener("resize", function () {
      var w = Math.max(280, box.clientWidth);
      plot.setSize({ width: w, height: height(w) });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
