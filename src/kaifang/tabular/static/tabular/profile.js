// Column profile charts (ECharts) from the profile stored with the version; each chart has a table with
// the same numbers next to it, which is what screen readers and printouts get.
(function init() {
  "use strict";
  if (!window.echarts) { setTimeout(init, 50); return; }  // echarts may load after this script in an htmx swap
  document.querySelectorAll(".profile-card .chart[data-chart]").forEach(function (el) {
    if (el.dataset.ready) return;
    el.dataset.ready = "1";
    var data = JSON.parse(el.dataset.chart);
    var hist = el.dataset.kind === "histogram";
    var chart = echarts.init(el, null, { renderer: "svg", locale: "ZH" });
    chart.setOption({
      animation: false,
      grid: { left: hist ? 40 : 90, right: 12, top: 8, bottom: hist ? 40 : 20 },
      // richText: the tooltip is drawn in the chart; HTML tooltips carry style="" the CSP refuses.
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText" },
      xAxis: hist
        ? { type: "category", data: data.labels, axisLabel: { rotate: 30, fontSize: 10, hideOverlap: true } }
        : { type: "value", minInterval: 1, splitNumber: 3, axisLabel: { hideOverlap: true, fontSize: 10 } },
      yAxis: hist
        ? { type: "value", minInterval: 1 }
        : { type: "category", inverse: true, data: data.labels, axisLabel: { fontSize: 11, width: 80, overflow: "truncate" } },
      series: [{ name: el.dataset.series, type: "bar", data: data.values, barCategoryGap: hist ? "5%" : "30%",
        itemStyle: { color: hist ? "#2e86c1" : "#16a085" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
