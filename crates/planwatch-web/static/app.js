// Planwatch pages: draw the charts from the JSON each page embeds. Everything comes from this
// server (ECharts is /vendor/echarts.min.js); nothing is fetched from elsewhere.
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var STATUS_COLOURS = {
    achieved: "#1e7b34", on_track: "#1e7b34", acceleration_needed: "#b26a00",
    limited_progress: "#c9a400", deterioration: "#b3261e", not_achieved: "#b3261e",
    no_data: "#c4c9d0", not_assessable: "#9aa3ad"
  };

  function indicatorChart() {
    var el = document.getElementById("indicator-chart");
    var d = data("chart-data");
    if (!el || !d || !window.echarts) return;
    var chart = echarts.init(el);
    var years = {};
    [d.observed, d.milestones, d.projection, d.target ? [d.target] : []].forEach(function (list) {
      list.forEach(function (p) { years[p[0]] = true; });
    });
    var axis = Object.keys(years).sort();
    var series = [
      { name: d.labels.observed, type: "line", data: d.observed, symbolSize: 7 },
      { name: d.labels.revised, type: "scatter", data: d.revised, symbol: "diamond", symbolSize: 13 },
      { name: d.labels.milestones, type: "line", data: d.milestones, lineStyle: { type: "dashed" }, symbol: "none" },
      { name: d.labels.projection, type: "line", data: d.projection, lineStyle: { type: "dotted", width: 2 }, symbol: "circle" }
    ];
    if (d.target) series.push({ name: d.labels.target, type: "scatter", data: [d.target], symbol: "pin", symbolSize: 30 });
    (d.breaks || []).forEach(function (b) { years[b[0]] = true; });
    axis = Object.keys(years).sort();
    if (d.breaks && d.breaks.length) {
      // A change of definition: a vertical line at its first year, the note as its label.
      series[0].markLine = { symbol: "none", lineStyle: { type: "solid", color: "#b26a00" },
        label: { formatter: d.labels["break"], position: "insideEndTop" },
        tooltip: { formatter: function (p) { return p.data.note; } },
        data: d.breaks.map(function (b) { return { xAxis: b[0], note: b[0] + " " + b[1] }; }) };
    }
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: axis },
      yAxis: { type: "value", name: d.unit, scale: true },
      series: series
    });
    el.setAttribute("data-drawn", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function districtMap() {
    var el = document.getElementById("district-map");
    var d = data("map-data");
    if (!el || !d || !window.echarts) return;
    fetch("/api/map/chengdu.geojson").then(function (r) { return r.json(); }).then(function (geo) {
      echarts.registerMap("chengdu", geo);
      var chart = echarts.init(el);
      var byStatus = d.by === "status";
      var statusLabel = {};
      d.legend.forEach(function (s) { statusLabel[s.code] = s.symbol + " " + (d.lang === "en" ? s.en : s.zh); });
      var values = d.regions.map(function (r) {
        var item = { name: r.name, value: r.value, status: r.status.code, label: r.label };
        if (byStatus) item.itemStyle = { areaColor: STATUS_COLOURS[r.status.code] };
        return item;
      });
      var nums = d.regions.map(function (r) { return r.value; }).filter(function (v) { return v !== null; });
      var option = {
        animation: false,
        tooltip: { formatter: function (p) {
          var v = p.data && p.data.value !== null && p.data.value !== undefined ? p.data.value + " " + d.unit : "—";
          return (p.data ? p.data.label : p.name) + "<br>" + v + "<br>" + (p.data ? statusLabel[p.data.status] : "");
        } },
        series: [{ type: "map", map: "chengdu", roam: true, data: values,
          label: { show: true, fontSize: 10, formatter: function (p) {
            return byStatus && p.data ? p.name + "\n" + statusLabel[p.data.status] : p.name;
          } } }]
      };
      if (!byStatus && nums.length) {
        option.visualMap = { min: Math.min.apply(null, nums), max: Math.max.apply(null, nums), calculable: true,
          text: [d.lang === "en" ? "High" : "高", d.lang === "en" ? "Low" : "低"], left: 10, bottom: 10 };
      }
      chart.setOption(option);
      el.setAttribute("data-drawn", "true");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  // 项目: key projects with coordinates as points; the others counted on their district.
  function projectMap() {
    var el = document.getElementById("project-map");
    var d = data("project-map-data");
    if (!el || !d || !window.echarts) return;
    fetch("/api/map/chengdu.geojson").then(function (r) { return r.json(); }).then(function (geo) {
      echarts.registerMap("chengdu", geo);
      var chart = echarts.init(el);
      var counts = d.districts.map(function (r) { return r.value; });
      chart.setOption({
        animation: false,
        tooltip: { formatter: function (p) {
          if (p.seriesType === "scatter") return p.data.name + "<br>" + p.data.stage;
          return (p.data ? p.data.label + "<br>" + d.labels.count + " " + p.data.value : p.name);
        } },
        geo: { map: "chengdu", roam: true, label: { show: true, fontSize: 10 } },
        visualMap: { min: 0, max: Math.max.apply(null, counts.concat([1])), seriesIndex: 0, calculable: true,
          text: [d.labels.count, ""], left: 10, bottom: 10, inRange: { color: ["#eef2f7", "#6d9bd1"] } },
        series: [
          { type: "map", geoIndex: 0, data: d.districts },
          { name: d.labels.located, type: "scatter", coordinateSystem: "geo", data: d.points,
            symbolSize: 9, itemStyle: { color: "#b3261e" } }
        ]
      });
      chart.on("click", function (p) { if (p.seriesType === "scatter") location.href = "/projects/" + p.data.id; });
      el.setAttribute("data-drawn", "true");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  // The wall display shows as many cards as its grid has cells (--wall-columns × --wall-rows
  // in app.css: 5 × 4) and, when there are more, turns to the next screenful every 15 s (or
  // `?every=SECONDS`) instead of scrolling.
  function wallPages() {
    var grid = document.querySelector("body.wall .cards");
    if (!grid) return;
    var every = parseFloat(new URLSearchParams(location.search).get("every"));
    var seconds = every > 0 ? every : 15;
    var cards = [].slice.call(grid.querySelectorAll(".card"));
    // The stylesheet's numbers (the computed tracks would count the rows the overflow adds).
    var style = getComputedStyle(grid);
    var cells = parseInt(style.getPropertyValue("--wall-columns"), 10) *
      parseInt(style.getPropertyValue("--wall-rows"), 10);
    grid.setAttribute("data-page", "1");
    if (!(cells > 0) || cards.length <= cells) return;
    var pages = Math.ceil(cards.length / cells);
    var page = 0;
    var label = document.createElement("p");
    label.className = "wall-page";
    label.setAttribute("aria-live", "polite");
    grid.parentNode.insertBefore(label, grid.nextSibling);
    function show() {
      cards.forEach(function (card, i) { card.hidden = Math.floor(i / cells) !== page; });
      label.textContent = (page + 1) + " / " + pages;
      grid.setAttribute("data-page", String(page + 1));
    }
    show();
    setInterval(function () { page = (page + 1) % pages; show(); }, seconds * 1000);
  }

  // The 打印 buttons (the printable 督办单): no inline script, so they are wired here.
  function printButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  // Forms that ask before they are sent (冻结 a year's assessment).
  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  function start() { indicatorChart(); districtMap(); projectMap(); wallPages(); printButtons(); confirmForms(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
