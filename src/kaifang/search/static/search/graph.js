// The resource graph (ECharts force layout) from the page's JSON twin; every dataset and application node
// is also listed as a plain link below the chart.
(function () {
  var el = document.getElementById("graph");
  var labels = JSON.parse(document.getElementById("graph-labels").textContent);
  var chart = echarts.init(el);
  fetch(el.dataset.api, {headers: {"Accept": "application/json"}}).then(function (r) { return r.json(); }).then(function (g) {
    var focus = el.dataset.focus ? "dataset:" + el.dataset.focus : "";
    var list = document.getElementById("graph-list");
    g.nodes.forEach(function (n) {
      n.symbolSize = n.category === 0 ? 12 : Math.min(40, 14 + 3 * Math.sqrt(n.value || 1));
      if (n.category === 5) { n.symbol = "diamond"; n.symbolSize = 18; }
      n.draggable = true;
      if (n.id === focus) { n.itemStyle = {borderColor: "#c00", borderWidth: 3}; n.symbolSize = 22; }
      if (n.url) {
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = n.url; a.textContent = n.name; a.className = n.category === 5 ? "graph-application" : "graph-dataset";
        li.appendChild(a); list.appendChild(li);
      }
    });
    chart.setOption({
      tooltip: {renderMode: "richText"},  // drawn in the chart: HTML tooltips carry style="" the CSP refuses
      legend: [{data: labels.categories}],
      series: [{
        type: "graph", layout: "force", roam: true, draggable: true,
        label: {show: true, position: "right", formatter: "{b}", fontSize: 11},
        force: {repulsion: 120, edgeLength: [40, 120]},
        categories: labels.categories.map(function (c) { return {name: c}; }),
        data: g.nodes, links: g.links, lineStyle: {opacity: 0.5, curveness: 0.1}
      }]
    });
    el.dataset.ready = "1";
    chart.on("click", function (p) { if (p.dataType === "node" && p.data.url) { window.location.href = p.data.url; } });
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
