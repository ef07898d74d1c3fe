// Step chart of the city-wide standards (one series per programme / care level) from the json_script data.
(function () {
  var node = document.getElementById("standards-chart");
  var data = document.getElementById("standards-history");
  if (!node || !data || typeof echarts === "undefined") return;
  var history = JSON.parse(data.textContent);
  var today = new Date().toISOString().slice(0, 10);
  var series = history.series.map(function (s) {
    var points = s.data.slice();
    if (points.length) points.push([today > points[points.length - 1][0] ? today : points[points.length - 1][0], points[points.length - 1][1]]);
    return { name: s.name, type: "line", step: "end", symbolSize: 6, data: points };
  });
  var chart = echarts.init(node);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", top: 0 },
    grid: { left: 60, right: 20, top: 40, bottom: 40 },
    xAxis: { type: "time" },
    yAxis: { type: "value", name: node.dataset.unit || "" },
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
  node.dataset.ready = "1";
})();
