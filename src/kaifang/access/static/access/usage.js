// Daily calls of the signed-in developer, drawn from the numbers the page carries in data-chart.
(function () {
  var el = document.getElementById("usage-chart");
  var data = JSON.parse(el.dataset.chart);
  echarts.init(el).setOption({xAxis: {type: "category", data: data.days}, yAxis: {type: "value"},
    tooltip: {trigger: "axis", renderMode: "richText"}, series: [{type: "bar", data: data.calls}]});
})();
