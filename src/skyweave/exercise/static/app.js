// Console bootstrap: who am I (the server says), the websocket, the banner clock, the end.
// Every action is a request the server checks; nothing is decided here.

import { StaffMap, TOGGLES } from "./map.js";
import { legendHtml } from "./legend.js";
import { drawMarks } from "./symbols.js";

const token = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);

export function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// -- time: the scenario's clock (UTC, from its epoch) with the simulation seconds beside it

let epochMs = 0;

/** "06:12:40Z" for simulation second ``t``. */
export function clockTime(t) {
  if (t === null || t === undefined) return "–";
  return new Date(epochMs + t * 1000).toISOString().slice(11, 19) + "Z";
}

/** "06:12:40Z (760 s)": clock time and simulation seconds, as every console shows a time. */
export function fmtT(t) {
  if (t === null || t === undefined) return "–";
  return `${clockTime(t)} (${Math.round(t)} s)`;
}

// -- stable, keyed DOM updates: a row is created once and updated in place, so a button a
// person is pressing is never replaced under the pointer

/** Set an element's text only when it changed (no needless layout, no lost selection). */
export function setText(el, text) {
  const s = String(text ?? "");
  if (el.textContent !== s) el.textContent = s;
}

/** Set an attribute / class / property only when it changed. */
export function setAttr(el, name, value) {
  const s = String(value);
  if (el.getAttribute(name) !== s) el.setAttribute(name, s);
}

/** An element from an HTML string (one root). */
export function html(text) {
  const t = document.createElement("template");
  t.innerHTML = text.trim();
  return t.content.firstElementChild;
}

// While a person is pointing in the side panel (the pointer moved or pressed there within
// the last HOLD_MS), nothing in it moves: rows are updated in place, but a new row, a row
// gone or a new order waits (the panel is outlined meanwhile), and comes the moment the
// pointer rests or leaves. So the button under the pointer never slides away between the
// press and the release, whatever arrives above it.
const HOLD_MS = 1500;
const hold = { inside: false, pressed: false, lastMove: 0, deferred: false, timer: null };
let rerender = () => {};

/** What to call to draw the newest frame again when the panel is let go. */
export function onRelease(fn) { rerender = fn; }

function pointing() {
  return hold.inside && (hold.pressed || performance.now() - hold.lastMove < HOLD_MS);
}

function releaseSoon() {
  clearTimeout(hold.timer);
  hold.timer = setTimeout(release, HOLD_MS + 20);
}

function release() {
  if (!hold.deferred || pointing()) return;
  hold.deferred = false;
  document.body.classList.remove("held");
  rerender();
}

/** Hold ``panel``'s rows still while the pointer is busy in it (see above). */
export function holdWhilePointing(panel) {
  const moved = () => { hold.lastMove = performance.now(); releaseSoon(); };
  panel.addEventListener("pointerenter", () => { hold.inside = true; moved(); });
  panel.addEventListener("pointerleave", () => { hold.inside = false; hold.pressed = false; release(); });
  panel.addEventListener("pointermove", moved);
  panel.addEventListener("pointerdown", () => { hold.pressed = true; moved(); });
  document.addEventListener("pointerup", () => { hold.pressed = false; moved(); });
}

/**
 * Make ``container``'s children match ``items``, keyed by ``keyOf(item)``: a row whose key is
 * still there is kept and passed to ``update(el, item)``; new keys get ``make(item)``; rows
 * of keys gone are removed. A row is moved only when the order really changed, and nothing
 * is added, removed or moved while a person is pointing (see holdWhilePointing).
 */
export function keyed(container, items, keyOf, make, update) {
  const have = new Map();
  for (const el of container.children) if (el.dataset.key !== undefined) have.set(el.dataset.key, el);
  const keys = items.map((item) => String(keyOf(item)));
  const keep = new Set(keys);
  if (pointing() && container.closest("#side")) {
    let same = keys.length === have.size;
    items.forEach((item, i) => {
      const el = have.get(keys[i]);
      if (el) { el.classList.remove("gone"); update(el, item); }
      if (!el || el !== container.children[i]) same = false;
    });
    for (const [k, el] of have) if (!keep.has(k)) el.classList.add("gone");
    if (!same) { hold.deferred = true; document.body.classList.add("held"); }
    return;
  }
  let prev = null;
  items.forEach((item, i) => {
    let el = have.get(keys[i]);
    if (!el) { el = make(item); el.dataset.key = keys[i]; }
    el.classList.remove("gone");
    update(el, item);
    const want = prev ? prev.nextElementSibling : container.firstElementChild;
    if (el !== want) container.insertBefore(el, want);
    prev = el;
  });
  for (const [k, el] of have) if (!keep.has(k)) el.remove();
  // the "none" line beside the list: the first ancestor holding one
  for (let up = container.parentElement; up && up.id !== "side"; up = up.parentElement) {
    const empty = up.querySelector(":scope > .empty");
    if (empty) { empty.hidden = items.length > 0; break; }
  }
}

/** Keyed rows of plain text cells: ``cells(item)`` gives each cell's text, ``cls(item)`` the
 *  row's class. */
export function textRows(tbody, items, keyOf, cells, cls) {
  keyed(tbody, items, keyOf,
    (item) => html(`<tr>${cells(item).map(() => "<td></td>").join("")}</tr>`),
    (tr, item) => {
      const texts = cells(item);
      texts.forEach((text, k) => { if (tr.children[k]) setText(tr.children[k], text); });
      const c = cls ? cls(item) : "";
      if (tr.className !== c) tr.className = c;
    });
}

// -- feedback and requests

let toastTimer = null;
export function toast(text, error) {
  let el = $("toast");
  if (!el) { el = document.createElement("div"); el.id = "toast"; el.setAttribute("role", "status"); document.body.appendChild(el); }
  el.textContent = text;
  el.className = `show${error ? " err" : ""}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = ""; }, 5000);
}

export async function post(path, body) {
  const res = await fetch(`${path}?token=${encodeURIComponent(token)}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body || {}),
  });
  let data = {};
  try { data = await res.json(); } catch (e) { /* empty body */ }
  if (!res.ok) { toast(data.error || `refused (${res.status})`, true); return null; }
  return data;
}

/** An order to the engine: {kind, ...}; the server stamps seat and time. */
export async function order(body, okText) {
  const r = await post("/api/command", body);
  if (r) toast(`${okText || body.kind}: queued for ${fmtT(r.time_s)}`);
  return r;
}

let audio = null;
let beeps = 0;
/** The audible cue (WebAudio); browsers allow sound only after a click on the page. */
export function beep() {
  beeps += 1;
  document.body.dataset.beeps = String(beeps);
  if (!audio || document.body.classList.contains("review")) return;  // a review is silent
  try {
    if (audio.state === "suspended") audio.resume();
    const o = audio.createOscillator(), g = audio.createGain();
    o.type = "square"; o.frequency.value = 880;
    g.gain.setValueAtTime(0.12, audio.currentTime);
    g.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.35);
    o.connect(g); g.connect(audio.destination);
    o.start(); o.stop(audio.currentTime + 0.36);
  } catch (e) { /* no audio device: the visible cue remains */ }
}
// Any click on the page arms the sound.
document.addEventListener("click", () => {
  if (!audio) { try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { /* none */ } }
});

function showClock(clock) {
  setText($("clock"), `${clockTime(clock.time_s)}`);
  setText($("clock-sim"), `T+${clock.time_s.toFixed(0)} s of ${clock.end_s.toFixed(0)} (ends ${clockTime(clock.end_s)})`);
  const st = $("clock-state");
  let text, cls;
  if (clock.review) { text = "REVIEW (read-only)"; cls = "paused"; }
  else if (clock.ended) { text = "ENDED"; cls = "paused"; }
  else if (clock.done) { text = "SCENARIO END"; cls = "paused"; }
  else if (!clock.running) { text = clock.tick < 0 ? "NOT STARTED" : "PAUSED"; cls = "paused"; }
  else {
    text = `RUNNING ${clock.rate}x`;
    cls = clock.holding ? "running" : "behind";
    if (clock.achieved_rate !== null) text += ` (actual ${clock.achieved_rate}x)`;
  }
  if (clock.branch && clock.branch !== "main") text += ` · branch ${clock.branch}`;
  setText(st, text);
  if (st.className !== cls) st.className = cls;
  st.dataset.running = String(clock.running);
  $("clock").dataset.time = String(clock.time_s);
  $("clock").dataset.rate = String(clock.running ? clock.rate : 0);
}

// -- the end: every console is told at once, every control is disabled

function disableControls() {
  document.body.classList.add("ended");
  for (const el of document.querySelectorAll("#side button, #side input, #side select, #side textarea")) el.disabled = true;
}

function endFailed(msg) {
  document.body.classList.remove("ended");
  for (const el of document.querySelectorAll("#side [disabled]")) el.disabled = false;
  const bar = $("end-bar");
  bar.dataset.state = "failed";
  setText(bar, `End failed, the exercise goes on: ${msg.error}`);
}

function showEnd(msg) {
  const bar = $("end-bar");
  if (!bar.dataset.toldAt) bar.dataset.toldAt = String(Date.now());  // when this console was told
  bar.hidden = false;
  disableControls();
  if (msg.type === "ending") {
    bar.dataset.state = "ending";
    setText(bar, "Exercise ended by the white cell: writing the run folder…");
  } else {
    bar.dataset.state = msg.error ? "failed" : "ended";
    setText(bar, `Exercise ended at ${fmtT(msg.time_s)}. Final state below. Run folder: ${msg.run_dir}`);
  }
}

function mapTools(map, role) {
  const box = $("map-tools");
  const toggles = Object.entries(TOGGLES).filter(([name]) => name !== "truth" || role !== "partner");
  box.innerHTML = toggles.map(([name, t]) => `<label><input type="checkbox" data-layer="${name}" checked> ${esc(t.label)}</label>`).join("")
    + `<button id="ruler" type="button" aria-pressed="false">range &amp; bearing</button>`
    + `<button id="zoom-in" type="button" title="zoom in (or the wheel, about the cursor)">+</button><button id="zoom-out" type="button" title="zoom out">−</button>`;
  $("zoom-in").onclick = () => map.map.zoomIn();
  $("zoom-out").onclick = () => map.map.zoomOut();
  box.addEventListener("change", (e) => {
    const cb = e.target.closest("input[data-layer]");
    if (cb) map.toggle(cb.dataset.layer, cb.checked);
  });
  $("ruler").onclick = () => {
    const on = $("ruler").getAttribute("aria-pressed") !== "true";
    $("ruler").setAttribute("aria-pressed", String(on));
    map.ruler.setActive(on);
  };
}

async function main() {
  if (!token) { $("seat-name").textContent = "no seat token in the link"; return; }
  const res = await fetch(`/api/setup?token=${encodeURIComponent(token)}`);
  if (!res.ok) { $("seat-name").textContent = "this link opens no seat"; return; }
  const setup = await res.json();
  epochMs = Date.parse(setup.epoch_utc);
  const who = setup.role === "partner" ? (setup.partners.find((p) => p.id === setup.partner) || {}).name : setup.role;
  $("seat-name").textContent = setup.role === "partner" ? `${who} staff` : setup.role === "white" ? "WHITE CELL" : "OBSERVER";
  $("scenario-name").textContent = `${setup.scenario} · epoch ${setup.epoch_utc}`;
  document.title = `EXERCISE · ${$("seat-name").textContent} · Skyweave`;
  document.body.dataset.role = setup.role;
  if (setup.review) document.body.classList.add("review");
  let ws = null;
  let ended = false;
  const mod = setup.role === "partner" ? await import("./partner.js") : await import("./white.js");
  const map = new StaffMap($("map"), setup, (pick) => consoleObj.pick && consoleObj.pick(pick));
  mapTools(map, setup.role);
  $("map-legend").innerHTML = legendHtml(setup);
  drawMarks($("map-legend"));
  const consoleObj = mod.createConsole({ setup, map, side: $("side"), send: (m) => ws && ws.readyState === 1 && ws.send(JSON.stringify(m)) });
  window.skyweave = { setup, map, console: consoleObj };   // for the browser tests
  holdWhilePointing($("side"));
  let lastFrame = null;
  let rewinds = null;  // the white cell's rewinds seen: a change means the clock jumped back
  onRelease(() => { if (lastFrame) consoleObj.frame(lastFrame); });
  const connect = () => {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${proto}://${location.host}/ws?token=${encodeURIComponent(token)}`);
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === "ending" || msg.type === "ended") { ended = true; showEnd(msg); return; }
      if (msg.type === "end_failed") { ended = false; endFailed(msg); return; }
      if (msg.type !== "frame") return;
      if (rewinds !== null && msg.clock.rewinds !== rewinds) {
        // the white cell rewound: what was drawn of the old future is dropped
        map.trails.clear();
        if (consoleObj.rewound) consoleObj.rewound();
        toast(`The white cell rewound to ${fmtT(msg.clock.time_s)}: branch ${msg.clock.branch}`);
      }
      rewinds = msg.clock.rewinds ?? 0;
      document.body.dataset.rewinds = String(rewinds);
      showClock(msg.clock);
      lastFrame = msg;
      window.skyweave.lastFrame = msg;
      consoleObj.frame(msg);
      if (msg.clock.ended && !ended) { ended = true; showEnd({ type: "ended", time_s: msg.clock.time_s, run_dir: msg.clock.run_dir || "" }); }
      if (ended) disableControls();
      setText($("status"), `frame ${msg.version} · received ${new Date().toISOString().slice(11, 19)}Z`);
    };
    ws.onopen = () => consoleObj.reconnected && consoleObj.reconnected();
    ws.onclose = () => {
      if (ended) { setText($("status"), "exercise ended: the server has closed"); return; }
      setText($("status"), "disconnected; retrying…");
      setTimeout(connect, 1500);
    };
  };
  connect();
}

main();
