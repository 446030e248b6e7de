// Map preview without any tile server. The server clusters the points on a grid over the current view
// (GET /api/v1/datasets/{code}/map), so a table of 100,000 or 10 million points costs the browser a few
// hundred markers at most. The background is plain; a graticule, the data's extent and the county seats of
// Xianning (a small GeoJSON shipped with the app) give it bearings.
(function init() {
  "use strict";
  if (!window.L) { setTimeout(init, 50); return; }  // leaflet.js may load after this script in an htmx swap
  var CELL_PX = 64;  // a grid cell on screen: clusters never overlap much

  function fmt(n) { return n >= 10000 ? (n / 10000).toFixed(n >= 100000 ? 0 : 1) + "万" : String(n); }

  function graticule(map, layer) {
    layer.clearLayers();
    var b = map.getBounds(), span = Math.max(b.getEast() - b.getWest(), b.getNorth() - b.getSouth());
    var step = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30].find(function (s) { return span / s <= 8; }) || 30;
    var style = { color: "#b9c4cf", weight: 1, opacity: 0.8, interactive: false };
    var w = Math.max(-180, b.getWest()), e = Math.min(180, b.getEast());
    var s = Math.max(-85, b.getSouth()), n = Math.min(85, b.getNorth());
    for (var x = Math.ceil(w / step) * step; x <= e; x += step) L.polyline([[s, x], [n, x]], style).addTo(layer);
    for (var y = Math.ceil(s / step) * step; y <= n; y += step) L.polyline([[y, w], [y, e]], style).addTo(layer);
  }

  function start(el) {
    var map = L.map(el, { preferCanvas: true, attributionControl: false, worldCopyJump: false });
    var renderer = L.canvas({ padding: 0.3 });
    var grid = L.layerGroup().addTo(map);
    var places = L.layerGroup().addTo(map);
    var points = L.layerGroup().addTo(map);
    var seq = 0;
    var status = el.parentNode.querySelector(".tabular-map-status");

    if (el.dataset.basemap) {
      fetch(el.dataset.basemap).then(function (r) { return r.json(); }).then(function (geo) {
        L.geoJSON(geo, {
          interactive: false,
          style: { color: "#8a99a8", weight: 1, fill: false },
          pointToLayer: function (f, ll) {
            return L.marker(ll, { interactive: false, keyboard: false, icon: L.divIcon({ className: "kf-place", html: f.properties.name, iconSize: null }) });
          }
        }).addTo(places);
      }).catch(function () { /* the map works without the basemap */ });
    }

    function draw(body) {
      points.clearLayers();
      var clusters = 0;
      (body.clusters || []).forEach(function (c) {
        var ll = [c[1], c[0]], n = c[2];
        if (n === 1) {
          L.circleMarker(ll, { renderer: renderer, radius: 4, weight: 1, color: "#fff", fillOpacity: 0.85, fillColor: "#c0392b" }).addTo(points);
          return;
        }
        clusters += 1;
        var size = Math.min(CELL_PX - 8, Math.round(20 + 6 * Math.log10(n)));
        var m = L.marker(ll, {
          title: n + " 个点",
          icon: L.divIcon({ className: "kf-cluster", html: "<span>" + fmt(n) + "</span>", iconSize: [size, size] })
        }).addTo(points);
        m.on("click", function () { map.setView(ll, Math.min(map.getZoom() + 2, 18)); });
      });
      el.dataset.clusters = String(clusters);
      el.dataset.points = String(body.points || 0);
      if (status) status.textContent = "视图内 " + (body.points || 0) + " 个点，" + clusters + " 个聚合" + (body.truncated ? "（已截断）" : "");
    }

    function load() {
      var b = map.getBounds().pad(0.1), size = map.getSize();
      var bbox = [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()), Math.min(180, b.getEast()), Math.min(90, b.getNorth())];
      if (!(bbox[0] < bbox[2] && bbox[1] < bbox[3])) return;
      var cells = Math.max(4, Math.min(128, Math.round(Math.max(size.x, size.y) / CELL_PX)));
      var mine = ++seq;
      var url = el.dataset.mapSrc + (el.dataset.mapSrc.indexOf("?") < 0 ? "?" : "&") + "bbox=" + bbox.map(function (v) { return v.toFixed(6); }).join(",") + "&cells=" + cells;
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (body) {
        if (mine === seq) draw(body);
      });
      graticule(map, grid);
    }

    fetch(el.dataset.mapSrc, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (body) {
      var d = body.data_bounds;
      if (d && d[0] <= d[2] && d[1] <= d[3] && !(d[0] === -180 && d[2] === 180)) {
        map.fitBounds([[d[1], d[0]], [d[3], d[2]]], { padding: [20, 20], maxZoom: 14 });
        L.rectangle([[d[1], d[0]], [d[3], d[2]]], { color: "#5b7083", weight: 1, dashArray: "4 4", fill: false, interactive: false }).addTo(places);
      } else {
        map.setView([29.84, 114.32], 9);
      }
      map.on("moveend", load);
      load();
    });
  }

  document.querySelectorAll("[data-map-src]").forEach(function (el) {
    if (el.dataset.ready) return;
    el.dataset.ready = "1";
    start(el);
  });
})();
