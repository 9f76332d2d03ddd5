// The console's dashboards: fetch the page's JSON (/admin/dashboards/<name>.json with the
// page's own from/to/station) and draw it with the vendored Apache ECharts. Figures arrive
// as integers (fen, millilitres, counts, basis points); yuan and litres are for display only.
(function () {
  "use strict";
  var el = document.getElementById("chart");
  var summary = document.querySelector(".dash-summary");
  var errorBox = document.querySelector(".dash-error");
  var WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
  // Our palette (the first colour is what tests/admin/test_console_e2e.py looks for).
  var PALETTE = ["#2f6fbd", "#e8963a", "#3a9a5b", "#c84b4b", "#7b5ea7", "#8c6d31", "#4bb3c8"];
  var HOURS = Array.from({length: 24}, function (_, h) { return h + "时"; });

  function yuan(fen) { return fen / 100; }
  function litres(ml) { return ml / 1000; }
  function fmt(n, digits) { return n.toLocaleString("zh-CN", {maximumFractionDigits: digits || 0}); }
  function pluck(rows, key) { return rows.map(function (r) { return r[key]; }); }
  function bar(name, data, extra) { return Object.assign({name: name, type: "bar", data: data}, extra || {}); }
  function line(name, data, extra) { return Object.assign({name: name, type: "line", data: data}, extra || {}); }
  function axes(x, yNames) {
    return {xAxis: {type: "category", data: x},
            yAxis: yNames.map(function (n) { return {type: "value", name: n}; })};
  }

  var draw = {
    "sales": function (d) {
      var grades = {};
      d.rows.forEach(function (r) { grades[r.grade] = true; });
      var index = {}; d.days.forEach(function (day, i) { index[day] = i; });
      var amount = d.days.map(function () { return 0; });
      var series = Object.keys(grades).sort().map(function (g) {
        var data = d.days.map(function () { return 0; });
        d.rows.forEach(function (r) {
          if (r.grade === g) { data[index[r.day]] += litres(r.litres_ml); amount[index[r.day]] += yuan(r.amount_fen); }
        });
        return bar((d.grades[g] || g) + "（升）", data, {stack: "litres"});
      });
      series.push(line("金额（元）", amount, {yAxisIndex: 1}));
      summary.textContent = d.totals.map(function (t) {
        return (t.station || "") + " " + (d.grades[t.grade] || t.grade) + "：" + fmt(litres(t.litres_ml), 1) +
          " 升，" + fmt(yuan(t.amount_fen), 2) + " 元";
      }).join("；");
      return Object.assign(axes(d.days, ["升", "元"]), {series: series});
    },
    "member-share": function (d) {
      var t = d.total;
      summary.textContent = "会员消费占比 " + (t.member_share_bp / 100).toFixed(2) + "%（会员 " + fmt(t.member_sales) +
        " 笔，非会员 " + fmt(t.anonymous_sales) + " 笔）";
      return Object.assign(axes(pluck(d.days, "day"), ["元", "%"]), {series: [
        bar("会员（元）", d.days.map(function (r) { return yuan(r.member_paid_fen); }), {stack: "paid"}),
        bar("非会员（元）", d.days.map(function (r) { return yuan(r.anonymous_paid_fen); }), {stack: "paid"}),
        line("会员占比（%）", d.days.map(function (r) { return r.member_share_bp / 100; }), {yAxisIndex: 1})]});
    },
    "peak-hours": function (d) {
      var cells = [], max = 0;
      d.sales.forEach(function (hours, w) {
        hours.forEach(function (n, h) { cells.push([h, w, n]); max = Math.max(max, n); });
      });
      summary.textContent = "每格为该星期几、该小时（北京时间）的笔数";
      return {xAxis: {type: "category", data: HOURS}, yAxis: {type: "category", data: WEEKDAYS, inverse: true},
              visualMap: {min: 0, max: Math.max(max, 1), calculable: true, orient: "horizontal", left: "center", bottom: 0},
              grid: {bottom: 80}, series: [{name: "笔数", type: "heatmap", data: cells}]};
    },
    "members": function (d) {
      summary.textContent = "新增：全部油站为当周注册的会员，单站为当周首次在本站消费的会员；活跃：当周有消费的会员";
      return Object.assign(axes(pluck(d.weeks, "week"), ["人"]), {series: [
        bar("新增会员", pluck(d.weeks, "new_members")), line("活跃会员", pluck(d.weeks, "active_members"))]});
    },
    "tiers": function (d) {
      summary.textContent = d.as_of ? "截至 " + d.as_of : "尚无汇总数据";
      return {series: [{name: "会员", type: "pie", radius: "65%",
                        label: {formatter: "{b}：{c} 人（{d}%）"},
                        data: d.tiers.map(function (t) { return {name: t.name, value: t.members}; })}]};
    },
    "liabilities": function (d) {
      summary.textContent = (d.as_of ? "截至 " + d.as_of + "：" : "尚无汇总数据：") + "未用积分 " + fmt(d.points) +
        " 分；储值本金 " + fmt(yuan(d.principal_fen), 2) + " 元，赠送 " + fmt(yuan(d.bonus_fen), 2) + " 元";
      return Object.assign(axes(pluck(d.expiring, "month"), ["积分"]), {series: [
        bar("当月到期积分", pluck(d.expiring, "points"))]});
    },
    "coupons": function (d) {
      summary.textContent = "发放 " + fmt(d.total.issued) + "，核销 " + fmt(d.total.used) + "，过期 " + fmt(d.total.expired);
      return Object.assign(axes(pluck(d.days, "day"), ["张"]), {series: [
        line("发放", pluck(d.days, "issued")), line("核销", pluck(d.days, "used")), line("过期", pluck(d.days, "expired"))]});
    },
    "pushes": function (d) {
      summary.textContent = d.channels.length ? "" : "所选日期内没有推送";
      return Object.assign(axes(d.channels.map(function (c) { return c.channel || "（无渠道）"; }), ["次"]), {series: [
        bar("成功", pluck(d.channels, "sent"), {stack: "n"}), bar("失败", pluck(d.channels, "failed"), {stack: "n"})]});
    }
  };

  function show(name, data) {
    var option = draw[name](data);
    option.color = PALETTE;
    option.animation = false;  // drawn at once: what the page shows is the figures, not a transition
    option.tooltip = option.tooltip || {trigger: name === "tiers" ? "item" : "axis"};
    option.legend = option.legend || {top: 0};
    echarts.init(el, null, {renderer: "canvas"}).setOption(option);
    el.dataset.drawn = "yes";
  }

  var url = el.dataset.json + location.search;
  fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
    .then(function (resp) { return resp.json().then(function (body) { return {ok: resp.ok, body: body}; }); })
    .then(function (r) {
      if (!r.ok) { throw new Error(r.body.error ? r.body.error.message : "加载失败"); }
      // The range the figures cover (the default one when none was asked for).
      ["from", "to"].forEach(function (k) {
        var input = document.querySelector(".dash-filters input[name=" + k + "]");
        if (input && !input.value) { input.value = r.body[k]; }
      });
      show(el.dataset.name, r.body);
    })
    .catch(function (err) { errorBox.hidden = false; errorBox.textContent = err.message; });
}());
