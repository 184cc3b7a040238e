// The map: the instance's regions as the basemap (MapLibre GL JS: no tiles, no glyphs, no style
// from elsewhere); the units coloured by claim in a deck.gl layer drawn inside the map, under the
// region boundaries (binary attributes, one instanced draw: 300,000 cells recolour by swapping one
// colour buffer); the place names as HTML markers (the browser's own fonts, readable by screen
// readers, no glyph server).
import maplibregl from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import { MapboxOverlay } from "@deck.gl/mapbox";
import { ColumnLayer, ScatterplotLayer } from "@deck.gl/layers";

const EMPTY = [0, 0, 0, 0];
const PALE = [120, 120, 120, 40];
const LOST = [40, 40, 40, 230];
const LINE_WIDTH = [2.2, 1.1, 0.5]; // px, per region level (coarsest first)
const LABEL_MIN_ZOOM = [0, 8, 10]; // a level's names appear from this zoom on

/** Parse "#rrggbb" into [r, g, b]. */
export function hexToRgb(hex) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || "");
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : [128, 128, 128];
}

/** [west, south, east, north] of the region boundaries and `bbox` (the unit centroids') together. */
export function extent(collection, bbox) {
  let [x0, y0, x1, y1] = bbox || [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (c) => {
    if (typeof c[0] === "number") {
      x0 = Math.min(x0, c[0]);
      y0 = Math.min(y0, c[1]);
      x1 = Math.max(x1, c[0]);
      y1 = Math.max(y1, c[1]);
    } else c.forEach(visit);
  };
  for (const f of (collection && collection.features) || []) if (f.geometry) visit(f.geometry.coordinates);
  return [x0, y0, x1, y1];
}

export class TableMap {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    this.map = new maplibregl.Map({
      container,
      style: {
        version: 8,
        sources: {},
        layers: [{ id: "background", type: "background", paint: { "background-color": "#e8eef2" } }],
      },
      center: [5.3, 52.2],
      zoom: 6.5,
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      maxPitch: 0,
    });
    this.map.touchZoomRotate.disableRotation();
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
    this.map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
    this.map.addControl(
      new maplibregl.AttributionControl({ compact: true, customAttribution: "Region boundaries of the instance; no tiles" }),
      "bottom-right",
    );
    this.overlay = new MapboxOverlay({
      interleaved: true,
      layers: [],
      getTooltip: (info) => this.tooltip(info),
    });
    this.map.addControl(this.overlay);
    this.loaded = new Promise((resolve) => this.map.on("load", resolve));
    this.map.on("zoomend", () => this.showLabels());
    this.units = null;
    this.colors = null;
    this.labels = [];
    this.markers = [];
    this.levels = [];
    this.claims = [];
    this.cellClaim = null;
    this.cellShare = null;
    this.rendered = 0;
  }

  /** The geometry of `GET /api/geometry` and the table's claims (key, name, color) and levels. */
  async setGeometry(geometry, claims, levels) {
    await this.loaded;
    this.levels = levels;
    this.claims = claims;
    this.claimRgb = claims.map((c) => hexToRgb(c.color));
    const lineWidth = ["match", ["get", "level"]];
    levels.forEach((level, i) => lineWidth.push(level, LINE_WIDTH[Math.min(i, LINE_WIDTH.length - 1)]));
    lineWidth.push(0.5);
    this.map.addSource("regions", { type: "geojson", data: geometry.regions });
    this.map.addLayer({
      id: "region-fill",
      type: "fill",
      source: "regions",
      filter: ["==", ["get", "level"], levels[0] || ""],
      paint: { "fill-color": "#fbfbf8", "fill-opacity": 1 },
    });
    this.map.addLayer({
      id: "region-lines",
      type: "line",
      source: "regions",
      paint: { "line-color": "#44505a", "line-width": lineWidth, "line-opacity": 0.85 },
    });
    const u = geometry.units;
    const n = u.lon.length;
    const positions = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      positions[2 * i] = u.lon[i];
      positions[2 * i + 1] = u.lat[i];
    }
    this.units = { n, positions, unitId: u.unit_id, area: u.area_ha, cellM: u.cell_m };
    if (u.cell_m == null) {
      const radius = new Float32Array(n);
      for (let i = 0; i < n; i++) radius[i] = Math.sqrt((u.area_ha[i] * 10000) / Math.PI);
      this.units.radius = radius;
    }
    this.colors = new Uint8Array(4 * n);
    this.labels = geometry.labels.map((l) => ({ ...l, levelIndex: Math.max(0, levels.indexOf(l.level)) }));
    const [x0, y0, x1, y1] = extent(geometry.regions, geometry.bbox);
    // keep the top right corner free for the legend
    const legend = this.container.parentElement.querySelector(".legend");
    const right = legend ? legend.offsetWidth + 24 : 20;
    this.map.fitBounds([[x0, y0], [x1, y1]], { padding: { top: 20, bottom: 30, left: 50, right }, duration: 0 });
    this.container.dataset.units = String(n);
    this.showLabels();
  }

  /** The place names of the levels shown at this zoom, as HTML markers. */
  showLabels() {
    const zoom = this.map.getZoom();
    const levelsShown = LABEL_MIN_ZOOM.filter((z) => zoom >= z).length;
    if (this.labelLevelsShown === levelsShown) return;
    this.labelLevelsShown = levelsShown;
    for (const marker of this.markers) marker.remove();
    const shown = this.labels.filter((l) => Math.min(l.levelIndex, LABEL_MIN_ZOOM.length - 1) < levelsShown);
    this.markers = shown.map((l) => {
      const el = document.createElement("div");
      el.className = `place place-${Math.min(l.levelIndex, 2)}`;
      el.textContent = l.name;
      el.dataset.level = l.level;
      return new maplibregl.Marker({ element: el, anchor: "center" }).setLngLat([l.lon, l.lat]).addTo(this.map);
    });
    this.container.dataset.places = shown.map((l) => l.name).join("|");
  }

  /**
   * Colour the units by `cells` (`GET /api/proposals/{id}/cells`); with `changed` (unit indices
   * from the difference against the parent) only those are coloured and the rest pale.
   */
  setCells(cells, changed = null) {
    if (!this.units) return;
    const { n } = this.units;
    const colors = new Uint8Array(4 * n);
    const index = cells.claims.map((key) => this.claims.findIndex((c) => c.key === key));
    const isChanged = changed ? new Uint8Array(n) : null;
    if (changed) for (const i of changed) if (i >= 0 && i < n) isChanged[i] = 1;
    for (let i = 0; i < n; i++) {
      const k = cells.claim[i];
      let rgba = EMPTY;
      if (k >= 0) {
        const rgb = this.claimRgb[index[k]] || [128, 128, 128];
        const alpha = Math.round(110 + 145 * Math.max(0, Math.min(1, cells.share[i])));
        rgba = [rgb[0], rgb[1], rgb[2], alpha];
      }
      if (isChanged) rgba = isChanged[i] ? (k >= 0 ? [rgba[0], rgba[1], rgba[2], 255] : LOST) : PALE;
      colors.set(rgba, 4 * i);
    }
    this.colors = colors;
    this.cellClaim = cells.claim;
    this.cellShare = cells.share;
    this.cellClaimKeys = cells.claims;
    this.isChanged = isChanged;
    this.overlay.setProps({ layers: [this.unitsLayer()] });
    this.rendered = n;
  }

  unitsLayer() {
    const { n, positions, cellM, radius } = this.units;
    const data = {
      length: n,
      attributes: {
        getPosition: { value: positions, size: 2 },
        getFillColor: { value: this.colors, size: 4, normalized: true },
      },
    };
    // under the region boundaries: the plan is read against them
    const common = { id: "units", data, pickable: true, beforeId: "region-lines", updateTriggers: { getFillColor: this.colors } };
    if (cellM == null) {
      data.attributes.getRadius = { value: radius, size: 1 };
      return new ScatterplotLayer({ ...common, radiusUnits: "meters", radiusMinPixels: 1.5, stroked: false });
    }
    return new ColumnLayer({
      ...common,
      diskResolution: 4,
      angle: 45,
      radius: cellM / Math.SQRT2,
      extruded: false,
      material: false,
    });
  }

  tooltip(info) {
    if (!info || info.index < 0 || info.layer?.id !== "units" || !this.units) return null;
    const i = info.index;
    const lines = [`unit ${this.units.unitId[i]} (${this.units.area[i].toFixed(1)} ha)`];
    if (this.cellClaim) {
      const k = this.cellClaim[i];
      if (k >= 0) {
        const claim = this.claims.find((c) => c.key === this.cellClaimKeys[k]);
        lines.push(`${claim ? claim.name : this.cellClaimKeys[k]}: ${Math.round(100 * this.cellShare[i])} % of the unit`);
      } else lines.push("not allocated");
      if (this.isChanged && this.isChanged[i]) lines.push("changed against the parent");
    }
    return { text: lines.join("\n") };
  }
}
