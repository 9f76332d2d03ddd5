// A campaign's report: the conversions over the window per arm (the share of the arm's
// members converted by each day, cumulative), from /admin/campaigns/<code>/report.json,
// drawn with the vendored Apache ECharts. The table on the page holds the same figures.
(function () {
  "use strict";
  var el = document.getElementById("chart");
  if (!el || !window.echarts) { return; }
  var PALETTE = ["#2f6fbd", "#e8963a", "#3a9a5b", "#c84b4b", "#7b5ea7", "#8c6d31", "#4bb3c8"];
  fetch(el.dataset.json, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
    var days = d.days.map(function (n) { return "第" + (n + 1) + "天"; });
    var series = d.arms.map(function (a) {
      return {name: a.holdout ? "对照组" : a.code, type: "line", smooth: false,
              data: a.by_day.map(function (n) { return a.members ? Math.round(n / a.members * 10000) / 100 : 0; }),
              lineStyle: a.holdout ? {type: "dashed"} : undefined};
    });
    echarts.init(el).setOption({color: PALETTE, animation: false, tooltip: {trigger: "axis"},
                                legend: {top: 0}, grid: {top: 40, left: 50, right: 20, bottom: 30},
                                xAxis: {type: "category", data: days}, yAxis: {type: "value", name: "累计转化率（%）"},
                                series: series});
    el.dataset.drawn = "yes";
  });
})();
