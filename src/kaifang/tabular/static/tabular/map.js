// Map preview without any tile server: points drawn on a plain background with a canvas renderer.
(function init() {
  "use strict";
  if (!window.L) { setTimeout(init, 50); return; }  // leaflet.js may load after this script in an htmx swap
  document.querySelectorAll("[data-map-src]").forEach(function (el) {
    if (el.dataset.ready) return;
    el.dataset.ready = "1";
    fetch(el.dataset.mapSrc, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (body) {
      var lon = el.dataset.lon, lat = el.dataset.lat;
      var map = L.map(el, { preferCanvas: true, attributionControl: false });
      var renderer = L.canvas({ padding: 0.5 });
      var pts = [];
      (body.rows || []).forEach(function (row) {
        var x = parseFloat(row[lon]), y = parseFloat(row[lat]);
        if (isFinite(x) && isFinite(y) && Math.abs(y) <= 90 && Math.abs(x) <= 180) {
          pts.push([y, x]);
          L.circleMarker([y, x], { renderer: renderer, radius: 3, weight: 0, fillOpacity: 0.7, fillColor: "#c0392b" }).addTo(map);
        }
      });
      if (pts.length) map.fitBounds(L.latLngBounds(pts).pad(0.1)); else map.setView([29.84, 114.32], 9);
    });
  });
})();
