// Beds per 100 residents aged 60+ by street, from the page's json_script data (the table beside it has the figures).
(function () {
  var node = document.getElementById("planning-chart");
  var data = document.getElementById("planning-data");
  if (!node || !data || typeof echarts === "undefined") return;
  var plan = JSON.parse(data.textContent);
  var chart = echarts.init(node);
  chart.setOption({
    tooltip: { trigger: "axis" },
    grid: { left: 50, right: 20, top: 30, bottom: 90 },
    xAxis: { type: "category", data: plan.streets, axisLabel: { rotate: 60, interval: 0, fontSize: 10 } },
    yAxis: { type: "value", name: node.dataset.unit || "" },
    series: [{ type: "bar", data: plan.beds_per_100, itemStyle: { color: "#c9302c" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
  node.dataset.ready = "1";
})();
