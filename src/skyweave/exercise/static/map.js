// The staff map: MapLibre GL JS (npm registry, served locally) over Natural Earth as local
// GeoJSON, with milsymbol APP-6 symbols. No tiles and no glyphs are fetched: labels are
// HTML placed by labels.js, which never lets two overlap. It draws what the console gives
// it; it decides nothing.

/* global maplibregl */

import { assetKind, iconCanvas, iconId, sidc, threatAffiliation } from "./symbols.js";
import { LabelLayer } from "./labels.js";
import { RangeBearing } from "./ruler.js";

const EMPTY = { type: "FeatureCollection", features: [] };
const TRAIL_POINTS = 120;            // positions kept per track or object for its trail
const LEAD_S = 60;                   // the speed vector shows where it will be in a minute
const M_PER_DEG_LAT = 111_195;
// the map is redrawn at most this often: software WebGL (headless, or a machine without a
// GPU) is costly, and a picture that moves twice a second is enough for a staff map; the
// tables beside it update with every frame
const MAP_PERIOD_MS = 1000;

/** Which layer toggle hides which map layers (and labels of that kind). */
export const TOGGLES = {
  truth: { label: "truth", layers: ["truth-trails", "truth-leads"], labels: ["object"] },
  tracks: { label: "tracks", layers: ["track-trails", "track-leads", "track-sigma"], labels: ["track"] },
  ellipses: { label: "impact ellipses", layers: ["ellipse-fill", "ellipse-line"], labels: ["impact"] },
  coverage: { label: "coverage", layers: ["coverage-fill", "coverage-line", "range-ring"], labels: [] },
  engagements: { label: "engagements", layers: ["engagement-line"], labels: ["engagement"] },
};

/** An altitude for a label: metres below a kilometre (sea-skimmers), else kilometres. */
const altitude = (km) => (km === null || km === undefined ? "" : km < 1 ? `${Math.round(km * 1000)} m` : `${Math.round(km)} km`);

const point = (lon, lat, props) => ({ type: "Feature", geometry: { type: "Point", coordinates: [lon, lat] }, properties: props });
const line = (coords, props) => ({ type: "Feature", geometry: { type: "LineString", coordinates: coords }, properties: props || {} });
const poly = (ring, props) => ({ type: "Feature", geometry: { type: "Polygon", coordinates: [ring] }, properties: props || {} });

/** A point ``m`` metres from (lon, lat) on bearing ``deg`` (flat earth: fine at theatre scale
 *  for drawing rings and ellipses). */
function offset(lon, lat, m, deg) {
  const a = (deg * Math.PI) / 180;
  const dLat = (m * Math.cos(a)) / M_PER_DEG_LAT;
  const dLon = (m * Math.sin(a)) / (M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180));
  return [lon + dLon, lat + dLat];
}

function ring(lon, lat, m, from = 0, to = 360, centre = false) {
  const out = centre ? [[lon, lat]] : [];
  const n = Math.max(8, Math.round((to - from) / 4));
  for (let k = 0; k <= n; k++) out.push(offset(lon, lat, m, from + ((to - from) * k) / n));
  if (centre) out.push([lon, lat]);
  else out.push(out[0]);
  return out;
}

function ellipse(lon, lat, a, b, orientDeg) {
  const out = [];
  const o = (orientDeg * Math.PI) / 180;
  for (let k = 0; k <= 48; k++) {
    const t = (2 * Math.PI * k) / 48;
    const n = a * Math.cos(t) * Math.cos(o) - b * Math.sin(t) * Math.sin(o);   // north component
    const e = a * Math.cos(t) * Math.sin(o) + b * Math.sin(t) * Math.cos(o);   // east component
    const bearing = (Math.atan2(e, n) * 180) / Math.PI;
    out.push(offset(lon, lat, Math.hypot(n, e), bearing));
  }
  return out;
}

export class StaffMap {
  constructor(container, setup, onPick) {
    this.setup = setup;
    this.onPick = onPick;
    this.layers = null;
    this.hidden = new Set();
    this.trails = new Map();         // id -> {coords, seen}
    this.colors = Object.fromEntries(setup.partners.map((p) => [p.id, p.color]));
    const b = setup.bounds;
    // the CSP build's worker, served by us (the page's policy allows no blob: worker)
    maplibregl.setWorkerUrl("/static/vendor/maplibre-gl-csp-worker.js");
    this.map = new maplibregl.Map({
      container,
      style: this.style(),
      bounds: [[b.lon_min, b.lat_min], [b.lon_max, b.lat_max]],
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      renderWorldCopies: false,
      fadeDuration: 0,
      pixelRatio: 1,
      maxZoom: 11,
      minZoom: 2,
    });
    this.map.touchZoomRotate.disableRotation();
    this.map.scrollZoom.setWheelZoomRate(1 / 300);  // smooth steps; it zooms about the cursor
    this.map.addControl(new maplibregl.ScaleControl({ unit: "metric", maxWidth: 120 }), "bottom-right");
    // (no NavigationControl: its icons are data: images, which the page's policy refuses;
    // the map tools have their own zoom buttons)
    this.map.on("styleimagemissing", (e) => this.addIcon(e.id));
    this.labels = new LabelLayer(this.map, container, setup.geo.graticule);
    this.ruler = new RangeBearing(this.map);
    this.ready = new Promise((resolve) => this.map.on("load", resolve));
    this.ready.then(() => { this.loaded = true; this.draw(); });
    this.sent = "";                  // the moving features as last sent (unchanged: not sent)
    this.lastDraw = 0;
    this.timer = null;
    this.map.on("click", (e) => this.click(e));
    window.staffMap = this;  // for the browser tests and the curious
  }

  addIcon(id) {
    if (this.map.hasImage(id)) return;
    const c = iconCanvas(id);
    const dpr = window.devicePixelRatio || 1;
    this.map.addImage(id, c.getContext("2d").getImageData(0, 0, c.width, c.height), { pixelRatio: dpr });
  }

  style() {
    const g = this.setup.geo;
    const src = (data) => ({ type: "geojson", data });
    const sources = {
      land: src(g.land), coast: src(g.coast), border: src(g.border), graticule: src(g.graticule),
      coverage: src(this.coverage()), rings: src(this.rings()),
    };
    // everything that moves is one source (one update, one re-tiling, one repaint per draw),
    // each feature tagged with the layer that draws it
    sources.live = src(EMPTY);
    sources.ruler = src(EMPTY);
    const live = (layer, kind) => ({ source: "live", filter: kind ? ["all", ["==", ["get", "layer"], layer], ["==", ["get", "kind"], kind]] : ["==", ["get", "layer"], layer] });
    return {
      version: 8,
      sources,
      layers: [
        { id: "sea", type: "background", paint: { "background-color": "#d4e6f1" } },
        { id: "land", type: "fill", source: "land", paint: { "fill-color": "#f1efe4" } },
        { id: "graticule", type: "line", source: "graticule", paint: { "line-color": "#5a7894", "line-opacity": 0.3, "line-width": 0.7 } },
        { id: "coast", type: "line", source: "coast", paint: { "line-color": "#5b7a5b", "line-width": 1.1 } },
        { id: "border", type: "line", source: "border", paint: { "line-color": "#8a7a9a", "line-width": 0.8, "line-dasharray": [4, 3] } },
        { id: "coverage-fill", type: "fill", source: "coverage", paint: { "fill-color": ["get", "colour"], "fill-opacity": ["get", "opacity"] } },
        { id: "coverage-line", type: "line", source: "coverage", paint: { "line-color": ["get", "colour"], "line-opacity": 0.45, "line-width": 1 } },
        { id: "range-ring", type: "line", source: "rings", paint: { "line-color": ["get", "colour"], "line-opacity": 0.75, "line-width": 1.2, "line-dasharray": [4, 3] } },
        { id: "ellipse-fill", type: "fill", ...live("ellipse"), paint: { "fill-color": "#ff5000", "fill-opacity": 0.2 } },
        { id: "ellipse-line", type: "line", ...live("ellipse"), paint: { "line-color": "#d04000", "line-width": 1.5 } },
        { id: "track-sigma", type: "fill", ...live("sigma"), paint: { "fill-color": "#a0006a", "fill-opacity": 0.12 } },
        { id: "truth-trails", type: "line", ...live("trail", "object"), paint: { "line-color": "#c00000", "line-opacity": 0.55, "line-width": 1.5 } },
        { id: "track-trails", type: "line", ...live("trail", "track"), paint: { "line-color": "#a0006a", "line-opacity": 0.6, "line-width": 1.5, "line-dasharray": [2, 1] } },
        { id: "truth-leads", type: "line", ...live("lead", "object"), paint: { "line-color": "#c00000", "line-width": 1.5 } },
        { id: "track-leads", type: "line", ...live("lead", "track"), paint: { "line-color": "#a0006a", "line-width": 1.5 } },
        { id: "engagement-line", type: "line", ...live("engagement"), paint: { "line-color": "#0a7a2a", "line-width": 1.6, "line-dasharray": [2, 2] } },
        {
          id: "symbols", type: "symbol", ...live("symbol"),
          layout: { "icon-image": ["get", "icon"], "icon-allow-overlap": true, "icon-ignore-placement": true, "symbol-sort-key": ["get", "z"] },
        },
        { id: "ruler", type: "line", source: "ruler", paint: { "line-color": "#111", "line-width": 2, "line-dasharray": [3, 2] } },
      ],
    };
  }

  coverage() {
    const out = [];
    for (const s of this.setup.sensors) {
      if (s.type !== "radar") continue;
      const from = s.boresight_deg - s.half_width_deg, to = s.boresight_deg + s.half_width_deg;
      const full = s.half_width_deg >= 180;
      out.push(poly(ring(s.lon, s.lat, s.max_range_km * 1e3, full ? 0 : from, full ? 360 : to, !full),
        { colour: this.colors[s.partner] || "#555", opacity: s.role === "fire_control" ? 0.1 : 0.05 }));
    }
    return { type: "FeatureCollection", features: out };
  }

  rings() {
    return {
      type: "FeatureCollection",
      features: this.setup.batteries.map((b) => line(ring(b.lon, b.lat, b.max_range_km * 1e3), { colour: this.colors[b.partner] || "#555" })),
    };
  }

  /** Show or hide one of the TOGGLES. */
  toggle(name, on) {
    if (on) this.hidden.delete(name); else this.hidden.add(name);
    if (this.loaded) for (const id of TOGGLES[name].layers) this.map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
    this.draw();
  }

  render(layers) {
    this.layers = layers;
    this.remember(layers);
    this.schedule();
  }

  /** Draw now if the last draw is old enough, else once the period is up. */
  schedule() {
    if (this.timer) return;
    const wait = Math.max(0, this.lastDraw + MAP_PERIOD_MS - Date.now());
    this.timer = setTimeout(() => { this.timer = null; this.lastDraw = Date.now(); this.draw(); }, wait);
  }

  /** Keep each track's and object's recent positions (its trail). */
  remember(L) {
    const now = Date.now();
    const add = (kind, id, lon, lat) => {
      if (lon === null || lat === null) return;
      const key = `${kind}:${id}`;
      let t = this.trails.get(key);
      if (!t) { t = { kind, coords: [] }; this.trails.set(key, t); }
      const last = t.coords[t.coords.length - 1];
      if (!last || last[0] !== lon || last[1] !== lat) t.coords.push([lon, lat]);
      if (t.coords.length > TRAIL_POINTS) t.coords.shift();
      t.seen = now;
    };
    for (const t of L.tracks || []) add("track", t.id, t.lon, t.lat);
    for (const o of L.objects || []) add("object", o.id, o.lon, o.lat);
    for (const [key, t] of this.trails) if (t.seen !== now) this.trails.delete(key);  // gone: no stale trail
  }

  draw() {
    if (!this.loaded || !this.layers) return;
    const L = this.layers, S = this.setup;
    const symbols = [], labels = [], ellipses = [], leads = [], sigma = [], engagements = [];
    const threatened = new Set(L.threatened || []);
    const show = (name) => !this.hidden.has(name);
    const sym = (lon, lat, icon, z, props = {}) => symbols.push(point(lon, lat, { icon, z, ...props }));
    const lead = (kind, o) => {
      if (!o.speed_mps || o.heading_deg === null) return;
      leads.push(line([[o.lon, o.lat], offset(o.lon, o.lat, o.speed_mps * LEAD_S, o.heading_deg)], { kind }));
    };
    // sites: radars, batteries, command posts, defended assets (friends: the coalition)
    for (const s of S.sensors) {
      if (s.type !== "radar") continue;
      sym(s.lon, s.lat, iconId(sidc("radar", "F")), 1, { id: s.id });
      labels.push({ id: `radar:${s.id}`, kind: "site", lon: s.lon, lat: s.lat, text: s.id, priority: 5 });
    }
    for (const b of S.batteries) {
      sym(b.lon, b.lat, iconId(sidc("battery", "F")), 2, { id: b.id });
      labels.push({ id: `bty:${b.id}`, kind: "site", lon: b.lon, lat: b.lat, text: b.id, priority: 4 });
    }
    for (const p of S.partners) {
      if (!p.command_post) continue;
      sym(p.command_post[1], p.command_post[0], iconId(sidc("command_post", "F")), 1, { id: `cp:${p.id}` });
      labels.push({ id: `cp:${p.id}`, kind: "site", lon: p.command_post[1], lat: p.command_post[0], text: `${p.name} CP`, priority: 6 });
    }
    for (const a of S.assets) {
      const hot = threatened.has(a.id);
      sym(a.lon, a.lat, iconId(sidc(assetKind(a), "F"), { hot }), hot ? 4 : 3, { id: a.id });
      labels.push({ id: `asset:${a.id}`, kind: "site", lon: a.lon, lat: a.lat, text: a.name || a.id, priority: hot ? 1 : 3, cls: hot ? "hot" : "" });
    }
    // threats of the board: launch point, predicted impact and its ellipse
    for (const t of L.threats || []) {
      if (t.launch && t.launch[0] !== null) {
        sym(t.launch[1], t.launch[0], "mk:launch", 5, { id: t.id });
        labels.push({ id: `launch:${t.id}`, kind: "impact", lon: t.launch[1], lat: t.launch[0], text: `${t.id} launch`, priority: 7, cls: "threat" });
      }
      if (t.impact && t.impact[0] !== null) {
        const [a, b, o] = t.ellipse_m || [];
        if (a && b && show("ellipses")) ellipses.push(poly(ellipse(t.impact[1], t.impact[0], a, b, o || 0)));
        if (show("ellipses")) {
          sym(t.impact[1], t.impact[0], "mk:impact", 5, { id: t.id });
          const ttg = t.time_to_go_s === null || t.time_to_go_s === undefined ? "" : ` T-${Math.max(0, t.time_to_go_s).toFixed(0)}s`;
          labels.push({ id: `impact:${t.id}`, kind: "impact", lon: t.impact[1], lat: t.impact[0], text: `${t.id}${ttg}`, priority: 2, cls: "threat" });
        }
      }
    }
    // engagements: battery to planned intercept
    for (const e of L.engagements || []) {
      if (!e.intercept || e.intercept[0] === null) continue;
      const b = S.batteries.find((q) => q.id === e.battery);
      if (b) engagements.push(line([[b.lon, b.lat], [e.intercept[1], e.intercept[0]]]));
      if (show("engagements")) {
        sym(e.intercept[1], e.intercept[0], "mk:intercept", 6, { id: `eng:${e.id}` });
        labels.push({ id: `eng:${e.id}`, kind: "engagement", lon: e.intercept[1], lat: e.intercept[0], text: `${e.battery} T${e.intercept_s.toFixed(0)}`, priority: 8, cls: "eng" });
      }
    }
    // a partner's tracks (hostile unless classified otherwise; hollow when only another
    // partner's released track holds it)
    if (show("tracks")) for (const t of L.tracks || []) {
      if (t.lat === null) continue;
      const code = sidc(t.class || "unknown", threatAffiliation(t.class, t.classification));
      sym(t.lon, t.lat, iconId(code, { hollow: t.own === false }), 10, { id: t.id, pick: "track" });
      lead("track", t);
      const r = 2 * (t.sigma_m || 0);
      if (r > 1000) sigma.push(poly(ring(t.lon, t.lat, r)));
      const sel = L.selected === t.id;
      labels.push({ id: `track:${t.id}`, kind: "track", lon: t.lon, lat: t.lat, text: `${t.id} ${altitude(t.alt_km)}`, priority: sel ? 0 : 2, cls: sel ? "sel" : "track" });
    }
    // the truth (white cell): every object in flight
    if (show("truth")) for (const o of L.objects || []) {
      if (o.lat === null) continue;
      const isInterceptor = o.kind === "interceptor";
      const code = isInterceptor ? sidc("interceptor", "F") : sidc(o.kind, o.accidental ? "S" : "H");
      sym(o.lon, o.lat, iconId(code), isInterceptor ? 8 : 9, { id: o.id, pick: "object" });
      lead("object", o);
      if (!isInterceptor) labels.push({ id: `object:${o.id}`, kind: "object", lon: o.lon, lat: o.lat, text: `${o.id}${o.accidental ? " (accidental)" : ""} ${altitude(o.alt_km)}`, priority: 2, cls: "object" });
    }
    for (const m of L.marks || []) sym(m.lon, m.lat, "mk:pick", 11, { id: m.text });
    for (const m of L.marks || []) labels.push({ id: `mark:${m.text}`, kind: "mark", lon: m.lon, lat: m.lat, text: m.text, priority: 0, cls: "pick" });
    const trails = [];
    for (const t of this.trails.values()) if (t.coords.length > 1) trails.push(line(t.coords, { kind: t.kind }));
    const tag = (layer, features) => features.map((f) => ({ ...f, properties: { ...f.properties, layer } }));
    const data = {
      type: "FeatureCollection",
      features: [...tag("symbol", symbols), ...tag("ellipse", ellipses), ...tag("lead", leads), ...tag("sigma", sigma),
        ...tag("engagement", engagements), ...tag("trail", trails)],
    };
    const text = JSON.stringify(data);
    if (this.sent !== text) {   // unchanged: no re-tiling, no repaint
      this.sent = text;
      this.map.getSource("live").setData(data);
    }
    const hiddenKinds = new Set([...this.hidden].flatMap((n) => TOGGLES[n].labels));
    this.labels.set(labels.filter((l) => !hiddenKinds.has(l.kind)), symbols);
  }

  click(e) {
    if (this.ruler.active) { this.ruler.click(e.lngLat); return; }
    const box = [[e.point.x - 8, e.point.y - 8], [e.point.x + 8, e.point.y + 8]];
    const hit = this.map.queryRenderedFeatures(box, { layers: ["symbols"] }).find((f) => f.properties.pick);
    if (this.onPick) this.onPick({ lat: e.lngLat.lat, lon: e.lngLat.lng, hit: hit ? hit.properties.id : null });
  }
}
