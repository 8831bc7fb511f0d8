// The planning console: each partner's staff places its batteries and radars within its
// deployment areas, values its assets, offers and accepts releases and sets its consent
// rule; the white cell sees every plan, assesses it, locks it and starts the exercise.
// The server checks every edit (the page decides nothing) and says why it refused one.

/* global maplibregl */

import { iconCanvas, iconId, sidc, assetKind } from "./symbols.js";

const token = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);
const POLL_MS = 700;
const M_PER_DEG_LAT = 111_195;

export function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

const api = (path) => `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;

async function post(path, body) {
  const r = await fetch(api(path), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  let data = {};
  try { data = await r.json(); } catch (e) { /* an empty answer */ }
  return { ok: r.ok, status: r.status, data };
}

function say(text, kind) {
  const m = $("plan-message");
  m.textContent = text;
  m.className = kind || "";
}

/** A point ``m`` metres from (lon, lat) on bearing ``deg`` (flat earth, theatre scale). */
function offset(lon, lat, m, deg) {
  const a = (deg * Math.PI) / 180;
  return [lon + (m * Math.sin(a)) / (M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180)), lat + (m * Math.cos(a)) / M_PER_DEG_LAT];
}

function ring(lon, lat, m, from = 0, to = 360, centre = false) {
  const out = centre ? [[lon, lat]] : [];
  const n = Math.max(8, Math.round((to - from) / 4));
  for (let k = 0; k <= n; k++) out.push(offset(lon, lat, m, from + ((to - from) * k) / n));
  out.push(centre ? [lon, lat] : out[0]);
  return out;
}

const poly = (coords, props) => ({ type: "Feature", geometry: { type: "Polygon", coordinates: [coords] }, properties: props || {} });
const lineF = (coords, props) => ({ type: "Feature", geometry: { type: "LineString", coordinates: coords }, properties: props || {} });

const state = { plan: null, change: -1, placing: null, map: null, markers: new Map(), dirty: false };

// -- the map ----------------------------------------------------------------------------

function colour(pid) {
  const p = (state.plan?.partners || []).find((q) => q.id === pid);
  return p ? p.color : "#555";
}

function initMap(setup) {
  const b = setup.bounds, g = setup.geo;
  maplibregl.setWorkerUrl("/static/vendor/maplibre-gl-csp-worker.js");
  const src = (data) => ({ type: "geojson", data });
  const empty = { type: "FeatureCollection", features: [] };
  const map = new maplibregl.Map({
    container: "map",
    style: {
      version: 8,
      sources: { land: src(g.land), coast: src(g.coast), border: src(g.border), graticule: src(g.graticule), areas: src(empty), cover: src(empty) },
      layers: [
        { id: "sea", type: "background", paint: { "background-color": "#d4e6f1" } },
        { id: "land", type: "fill", source: "land", paint: { "fill-color": "#f1efe4" } },
        { id: "graticule", type: "line", source: "graticule", paint: { "line-color": "#5a7894", "line-opacity": 0.3, "line-width": 0.7 } },
        { id: "coast", type: "line", source: "coast", paint: { "line-color": "#5b7a5b", "line-width": 1.1 } },
        { id: "border", type: "line", source: "border", paint: { "line-color": "#8a7a9a", "line-width": 0.8, "line-dasharray": [4, 3] } },
        { id: "area-fill", type: "fill", source: "areas", paint: { "fill-color": ["get", "colour"], "fill-opacity": 0.16 } },
        { id: "area-line", type: "line", source: "areas", paint: { "line-color": ["get", "colour"], "line-width": 2, "line-dasharray": [3, 2] } },
        { id: "cover-fill", type: "fill", source: "cover", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": ["get", "colour"], "fill-opacity": ["get", "opacity"] } },
        { id: "cover-line", type: "line", source: "cover", paint: { "line-color": ["get", "colour"], "line-opacity": 0.7, "line-width": 1.2, "line-dasharray": [4, 3] } },
      ],
    },
    bounds: [[b.lon_min, b.lat_min], [b.lon_max, b.lat_max]],
    attributionControl: false, dragRotate: false, pitchWithRotate: false, renderWorldCopies: false,
    fadeDuration: 0, pixelRatio: 1, maxZoom: 11, minZoom: 2,
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.ScaleControl({ unit: "metric", maxWidth: 120 }), "bottom-right");
  map.on("click", (e) => {
    if (!state.placing) return;
    const unit = state.placing;
    state.placing = null;
    $("map-hint").textContent = "";
    place(unit, e.lngLat.lat, e.lngLat.lng);
  });
  state.ready = new Promise((resolve) => map.on("load", resolve));
  state.ready.then(() => { state.loaded = true; drawMap(); });
  state.map = map;
  window.planMap = map;   // for the browser tests and the curious
}

function symbolElement(code, label, cls) {
  const el = document.createElement("div");
  el.className = `plan-marker ${cls}`;
  const c = iconCanvas(iconId(code));
  c.style.width = `${c.width / (window.devicePixelRatio || 1)}px`;
  el.appendChild(c);
  const t = document.createElement("span");
  t.className = "map-label";
  t.style.position = "absolute";
  // units label to the right, assets below: a unit beside an asset keeps both readable
  // (radars to the left: a radar beside its battery keeps both labels readable)
  if (cls.includes("radar")) { t.style.left = "auto"; t.style.right = "100%"; } else t.style.left = cls === "asset" ? "0" : "100%";
  t.style.top = cls === "asset" ? "100%" : "0";
  t.textContent = label;
  el.appendChild(t);
  return el;
}

function drawMap() {
  const P = state.plan;
  if (!state.loaded || !P) return;
  const areas = P.areas.map((a) => {
    const coords = a.circle
      ? ring(a.circle.lon_deg, a.circle.lat_deg, a.circle.radius_km * 1e3)
      : [...a.polygon.map((q) => [q.lon_deg, q.lat_deg]), [a.polygon[0].lon_deg, a.polygon[0].lat_deg]];
    return poly(coords, { colour: colour(a.partner), id: a.id });
  });
  state.map.getSource("areas").setData({ type: "FeatureCollection", features: areas });
  const cover = [];
  for (const u of P.units) {
    if (u.kind === "batteries") cover.push(lineF(ring(u.lon_deg, u.lat_deg, u.max_range_km * 1e3), { colour: colour(u.partner), opacity: 0 }));
    else {
      const full = u.sector_half_width_deg >= 180;
      const from = u.boresight_az_deg - u.sector_half_width_deg, to = u.boresight_az_deg + u.sector_half_width_deg;
      // an early-warning radar's sector spans the theatre: outlined, not tinted
      const opacity = u.role === "early_warning" ? 0 : 0.07;
      cover.push(poly(ring(u.lon_deg, u.lat_deg, u.max_range_km * 1e3, full ? 0 : from, full ? 360 : to, !full), { colour: colour(u.partner), opacity }));
    }
  }
  state.map.getSource("cover").setData({ type: "FeatureCollection", features: cover });
  const seen = new Set();
  const editable = P.role === "partner" && !P.locked && !P.started;
  const put = (key, lon, lat, make, draggable, onDrag) => {
    seen.add(key);
    let m = state.markers.get(key);
    if (!m) {
      m = new maplibregl.Marker({ element: make(), draggable });
      if (onDrag) m.on("dragend", () => onDrag(m));
      m.setLngLat([lon, lat]).addTo(state.map);
      state.markers.set(key, m);
    } else {
      m.setLngLat([lon, lat]);
      m.setDraggable(draggable);
    }
  };
  for (const a of P.assets) {
    put(`asset:${a.id}`, a.lon_deg, a.lat_deg, () => symbolElement(sidc(assetKind(a), "F"), a.name || a.id, "asset"), false);
  }
  for (const u of P.units) {
    const kind = u.kind === "batteries" ? "battery" : "radar";
    put(`unit:${u.id}`, u.lon_deg, u.lat_deg, () => {
      const el = symbolElement(sidc(kind, "F"), u.id, kind === "radar" ? "unit radar" : "unit");
      el.dataset.unit = u.id;
      return el;
    }, editable && u.partner === P.partner, (m) => { const p = m.getLngLat(); place(u.id, p.lat, p.lng); });
  }
  for (const [key, m] of state.markers) if (!seen.has(key)) { m.remove(); state.markers.delete(key); }
}

// -- edits --------------------------------------------------------------------------------

async function edit(body, done) {
  const r = await post("/api/plan/edit", body);
  if (r.ok) say(`${done} (plan version ${r.data.version})`, "ok");
  else say(`refused (${r.status}): ${r.data.error || "no reason given"}`, "error");
  await refresh(true);
  return r.ok;
}

function place(unit, lat, lon) {
  return edit({ kind: "place", unit, lat_deg: Math.round(lat * 1e4) / 1e4, lon_deg: Math.round(lon * 1e4) / 1e4 }, `${unit} placed at ${lat.toFixed(3)}, ${lon.toFixed(3)}`);
}

// -- the side panel -----------------------------------------------------------------------

const fmt = (x, d = 2) => (x === null || x === undefined ? "–" : Number(x).toFixed(d));

function ciText(m, d = 2) {
  if (!m || m.mean === null) return "–";
  const ci = m.ci95 ? ` [${fmt(m.ci95[0], d)}, ${fmt(m.ci95[1], d)}]` : "";
  return `${fmt(m.mean, d)}${ci}`;
}

function releaseRows(P) {
  const me = P.partner;
  const name = (pid) => (P.partners.find((p) => p.id === pid) || { name: pid }).name;
  const rows = [];
  for (const r of P.releases) {
    const status = r.agreed ? "agreed" : r.offered ? `offered, awaiting ${name(r.to)}` : r.accepted ? "accepted, not offered" : "not offered";
    let action = "";
    if (P.role === "partner" && !P.locked) {
      if (r.from === me) action = `<label><input type="checkbox" data-act="offer" data-to="${esc(r.to)}" data-class="${esc(r.data_class)}" ${r.offered ? "checked" : ""}> offer</label>`;
      else action = `<label><input type="checkbox" data-act="accept" data-from="${esc(r.from)}" data-class="${esc(r.data_class)}" ${r.accepted ? "checked" : ""} ${r.offered || r.accepted ? "" : "disabled"}> accept</label>`;
    }
    rows.push(`<tr id="rel-${esc(r.from)}-${esc(r.to)}-${esc(r.data_class)}"><td>${esc(name(r.from))} → ${esc(name(r.to))}</td><td>${esc(r.data_class)}</td><td class="${r.agreed ? "agreed" : r.offered ? "pending" : "muted"}">${esc(status)}</td><td>${action}</td></tr>`);
  }
  return rows.join("");
}

function renderPanel() {
  const P = state.plan;
  const partner = P.role === "partner";
  const editable = partner && !P.locked && !P.started;
  const parts = {};
  if (P.role === "white") {
    parts.white = (`<h2>White cell</h2><p>${P.locked ? `Plan locked at version ${P.locked_version}.` : "The plan is open: staffs are planning."}
      <button id="lock" data-act="lock">${P.locked ? "Unlock" : "Lock plan"}</button>
      <button id="start" data-act="start" ${P.locked && !P.started ? "" : "disabled"}>${P.ends_with === "exercise" ? "Start exercise" : "Write plan and end"}</button></p>`);
  }
  parts.units = (`<h2>Batteries and radars</h2><table><tr><th>unit</th><th>owner</th><th class="num">lat</th><th class="num">lon</th><th class="num">range km</th><th></th></tr>${P.units.map((u) => `<tr id="unit-${esc(u.id)}"><td>${esc(u.id)}</td><td>${esc(u.partner)}</td><td class="num">${fmt(u.lat_deg, 3)}</td><td class="num">${fmt(u.lon_deg, 3)}</td><td class="num">${fmt(u.max_range_km, 0)}</td><td>${editable && u.partner === P.partner ? `<button data-act="place" data-unit="${esc(u.id)}" class="${state.placing === u.id ? "selected" : ""}">Place</button>` : ""}</td></tr>`).join("")}</table>`);
  parts.assets = (`<h2>Defended assets</h2><table><tr><th>asset</th><th>owner</th><th class="num">value</th><th></th></tr>${P.assets.map((a) => `<tr id="asset-${esc(a.id)}"><td>${esc(a.name || a.id)}</td><td>${esc(a.partner)}</td><td class="num">${editable && a.partner === P.partner ? `<input type="number" min="1" step="1" id="value-${esc(a.id)}" value="${a.value}">` : fmt(a.value, 0)}</td><td>${editable && a.partner === P.partner ? `<button data-act="value" data-asset="${esc(a.id)}">Set</button>` : ""}</td></tr>`).join("")}</table>`);
  parts.releases = (`<h2>Releases (a release takes effect when its receiver accepts it)</h2><table><tr><th>from → to</th><th>data class</th><th>status</th><th></th></tr>${releaseRows(P)}</table>`);
  parts.consent = (`<h2>Consent rules</h2><table>${Object.entries(P.consent).map(([pid, c]) => `<tr><td>${esc(pid)}</td><td>${editable && pid === P.partner ? `<select id="consent-policy">${["always", "never", "after_delay"].map((o) => `<option ${o === c.policy ? "selected" : ""}>${o}</option>`).join("")}</select> delay <input type="number" id="consent-delay" min="0" max="3600" value="${c.delay_s}"> s <button data-act="consent">Set</button>` : `${esc(c.policy)}${c.policy === "after_delay" ? ` (${c.delay_s} s)` : ""}`}</td></tr>`).join("")}</table>`);
  parts.coverage = (`<h2>Coverage of the assets</h2><table><tr><th>asset</th><th>within battery max range</th><th>within radar range and sector</th></tr>${P.coverage.map((c) => `<tr id="cover-${esc(c.asset)}"><td>${esc(c.asset)}</td><td>${esc(c.batteries.join(", ") || "none")}</td><td>${esc(c.radars.join(", ") || "none")}</td></tr>`).join("")}</table>`);
  const A = P.assessment;
  let assess = `<h2>Assess plan</h2><p>${P.role !== "observer" ? `<input type="number" id="assess-runs" min="2" max="200" value="8"> seeded runs <button id="assess" data-act="assess" ${A && A.running ? "disabled" : ""}>Assess plan</button>` : ""}</p>`;
  if (A) {
    const stale = A.version !== P.version ? ` <span class="pending">(plan changed since: now version ${P.version})</span>` : "";
    assess += `<p>Version ${A.version}, ${A.runs} runs: <progress class="assess-bar" id="assess-progress" max="${A.runs}" value="${A.done}"></progress> <span id="assess-done">${A.done}/${A.runs}</span>${A.failed ? `, ${A.failed} failed` : ""}${A.running ? " running…" : " done"}${stale}</p>`;
    if (A.error) assess += `<p class="pending">${esc(A.error)}</p>`;
    assess += `<table id="assess-table"><tr><th>measure (mean [95 % interval])</th><th class="num">value</th></tr>
      <tr><td>expected leakers</td><td class="num ci" id="assess-leakers">${ciText(A.leakers)}</td></tr>
      <tr><td>value protected (of ${fmt(A.value_total, 0)})</td><td class="num ci" id="assess-value">${ciText(A.value_protected, 1)}</td></tr>
      <tr><td>interceptors used</td><td class="num ci">${ciText(A.interceptors_used, 1)}</td></tr></table>`;
  }
  parts.assess = assess;
  parts.versions = (`<h2>Versions</h2><table>${P.history.slice().reverse().slice(0, 12).map((v) => `<tr><td class="num">${v.version}</td><td>${esc(v.seat)}</td><td>${esc(JSON.stringify(v.edit))}</td></tr>`).join("")}</table>`);
  // the white cell's work first (assess, lock, start); a staff's own plan first
  const order = P.role === "partner"
    ? ["units", "assets", "releases", "consent", "coverage", "assess", "versions"]
    : ["white", "assess", "coverage", "releases", "units", "assets", "consent", "versions"];
  $("side").innerHTML = order.map((k) => parts[k] || "").join("");
}

function renderBanner() {
  const A = state.plan.assessment;
  if (A && !A.running && $("plan-message").textContent.startsWith("assessing")) say(`assessment of plan version ${A.version} done: ${A.done} runs`, "ok");
  const P = state.plan;
  $("seat-name").textContent = P.role === "partner" ? `${(P.partners.find((p) => p.id === P.partner) || {}).name || P.partner} staff` : P.role === "white" ? "White cell" : "Observer";
  $("scenario-name").textContent = P.scenario;
  $("plan-version").textContent = `plan version ${P.version}`;
  const lock = $("plan-lock");
  lock.textContent = P.started ? "EXERCISE STARTED" : P.locked ? `LOCKED (v${P.locked_version})` : "OPEN";
  lock.className = P.locked ? "locked" : "open";
  document.body.dataset.version = String(P.version);
  document.body.dataset.locked = String(P.locked);
}

// While a person is pointing in the side panel (pressed, or moved there within HOLD_MS) or
// typing in it, the panel is not redrawn: a button never slides away between press and
// release, and a half-typed value is kept. The newest plan is drawn when they let go.
const HOLD_MS = 1500;
const hold = { inside: false, pressed: false, lastMove: 0 };
const side = document.getElementById("side");
side.addEventListener("pointerenter", () => { hold.inside = true; });
side.addEventListener("pointerleave", () => { hold.inside = false; hold.pressed = false; setTimeout(render, 0); });
side.addEventListener("pointermove", () => { hold.lastMove = performance.now(); });
side.addEventListener("pointerdown", () => { hold.pressed = true; });
side.addEventListener("pointerup", () => { hold.pressed = false; });

function holding() {
  const focused = document.activeElement;
  const typing = focused && side.contains(focused) && focused.tagName !== "BUTTON" && focused.type !== "checkbox";
  return typing || (hold.inside && (hold.pressed || performance.now() - hold.lastMove < HOLD_MS));
}

function render() {
  if (!state.plan) return;
  renderBanner();
  if (holding()) {
    state.dirty = true;
    clearTimeout(state.retry);
    state.retry = setTimeout(render, HOLD_MS / 3);
  } else { renderPanel(); state.dirty = false; }
  drawMap();
}

async function refresh(force) {
  let r;
  try { r = await fetch(api("/api/plan")); } catch (e) { $("status").textContent = "server not reachable; retrying"; return; }
  if (r.status === 404 && state.plan && state.plan.started) return;
  if (!r.ok) { $("status").textContent = `plan: ${r.status}`; return; }
  $("status").textContent = "";
  const P = await r.json();
  if (P.started && P.ends_with === "exercise" && location.pathname !== "/plan") {
    if (!state.waiting) { state.waiting = true; say("the exercise starts from the locked plan: opening the console…", "ok"); waitForExercise(); }
    return;
  }
  if (force || P.change !== state.change || state.dirty) {
    state.plan = P;
    state.change = P.change;
    render();
  }
}

// -- actions (one delegated listener) -----------------------------------------------------

$("side").addEventListener("click", async (e) => {
  const el = e.target.closest("[data-act]");
  if (!el || el.tagName === "INPUT") return;
  const act = el.dataset.act;
  if (act === "place") {
    state.placing = state.placing === el.dataset.unit ? null : el.dataset.unit;
    $("map-hint").textContent = state.placing ? `click the map to place ${state.placing}` : "";
    renderPanel();
  } else if (act === "value") {
    const v = Number($(`value-${el.dataset.asset}`).value);
    await edit({ kind: "asset_value", asset: el.dataset.asset, value: v }, `${el.dataset.asset} valued ${v}`);
  } else if (act === "consent") {
    await edit({ kind: "consent", policy: $("consent-policy").value, delay_s: Number($("consent-delay").value) }, "consent rule set");
  } else if (act === "assess") {
    const r = await post("/api/plan/assess", { runs: Number($("assess-runs").value) });
    if (r.ok) say(`assessing plan version ${r.data.version} over ${r.data.runs} seeded runs`, "ok");
    else say(`refused (${r.status}): ${r.data.error}`, "error");
    await refresh(true);
  } else if (act === "lock") {
    const r = await post("/api/plan/lock", { locked: !state.plan.locked });
    if (r.ok) say(r.data.locked ? `plan locked at version ${r.data.locked_version}` : "plan unlocked", "ok");
    else say(`refused (${r.status}): ${r.data.error}`, "error");
    await refresh(true);
  } else if (act === "start") {
    const r = await post("/api/plan/start", {});
    if (r.ok && state.plan.ends_with === "exercise") { state.waiting = true; say("the exercise starts from the locked plan: opening the console…", "ok"); waitForExercise(); }
    else if (r.ok) say("the locked plan is written; planning has ended", "ok");
    else say(`refused (${r.status}): ${r.data.error}`, "error");
  }
});

$("side").addEventListener("change", async (e) => {
  const el = e.target;
  if (el.dataset.act === "offer") {
    await edit({ kind: "offer", to: el.dataset.to, data_class: el.dataset.class, release: el.checked }, `${el.dataset.class} ${el.checked ? "offered" : "withdrawn"} to ${el.dataset.to}`);
  } else if (el.dataset.act === "accept") {
    await edit({ kind: "accept", from: el.dataset.from, data_class: el.dataset.class, accept: el.checked }, `${el.dataset.class} from ${el.dataset.from} ${el.checked ? "accepted" : "declined"}`);
  }
});

$("side").addEventListener("focusout", () => setTimeout(() => { if (state.dirty) render(); }, 0));

/** The exercise server replaces the planning one on the same address: open its console
 *  once it answers. */
async function waitForExercise() {
  for (;;) {
    await new Promise((res) => setTimeout(res, 400));
    try {
      const r = await fetch(api("/api/setup"));
      if (r.ok) { location.href = `/?token=${encodeURIComponent(token)}`; return; }
    } catch (e) { /* the server is restarting */ }
  }
}

async function main() {
  const r = await fetch(api("/api/plan/setup"));
  if (!r.ok) { say(r.status === 401 ? "this link's seat token is not valid" : `cannot load the plan (${r.status})`, "error"); return; }
  initMap(await r.json());
  await refresh(true);
  setInterval(() => refresh(false), POLL_MS);
}

main();
