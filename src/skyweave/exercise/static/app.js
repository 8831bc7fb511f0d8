// Console bootstrap: who am I (the server says), the websocket, the banner clock.
// Every action is a request the server checks; nothing is decided here.

import { StaffMap } from "./map.js";

const token = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);

export function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

export function fmtT(t) {
  if (t === null || t === undefined) return "–";
  const s = Math.max(0, t);
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, "0")}:${(s - 60 * m).toFixed(0).padStart(2, "0")}`;
}

let toastTimer = null;
export function toast(text, error) {
  let el = $("toast");
  if (!el) { el = document.createElement("div"); el.id = "toast"; document.body.appendChild(el); }
  el.textContent = text;
  el.className = `show${error ? " err" : ""}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = ""; }, 4000);
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
  if (r) toast(`${okText || body.kind} queued for t = ${r.time_s} s`);
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
  $("clock").textContent = `t = ${clock.time_s.toFixed(0)} s (${fmtT(clock.time_s)}) / ${fmtT(clock.end_s)}`;
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
  st.textContent = text;
  st.className = cls;
  st.dataset.running = String(clock.running);
  $("clock").dataset.time = String(clock.time_s);
}

async function main() {
  if (!token) { $("seat-name").textContent = "no seat token in the link"; return; }
  const res = await fetch(`/api/setup?token=${encodeURIComponent(token)}`);
  if (!res.ok) { $("seat-name").textContent = "this link opens no seat"; return; }
  const setup = await res.json();
  const who = setup.role === "partner" ? (setup.partners.find((p) => p.id === setup.partner) || {}).name : setup.role;
  $("seat-name").textContent = setup.role === "partner" ? `${who} staff` : setup.role === "white" ? "WHITE CELL" : "OBSERVER";
  $("scenario-name").textContent = setup.scenario;
  document.title = `EXERCISE · ${$("seat-name").textContent} · Skyweave`;
  if (setup.review) document.body.classList.add("review");
  let ws = null;
  const mod = setup.role === "partner" ? await import("./partner.js") : await import("./white.js");
  const map = new StaffMap($("map"), setup, (pick) => consoleObj.pick && consoleObj.pick(pick));
  const consoleObj = mod.createConsole({ setup, map, side: $("side"), send: (m) => ws && ws.readyState === 1 && ws.send(JSON.stringify(m)) });
  const connect = () => {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${proto}://${location.host}/ws?token=${encodeURIComponent(token)}`);
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type !== "frame") return;
      showClock(msg.clock);
      consoleObj.frame(msg);
      $("status").textContent = `frame ${msg.version} · ${new Date().toLocaleTimeString()}`;
    };
    ws.onopen = () => consoleObj.reconnected && consoleObj.reconnected();
    ws.onclose = () => { $("status").textContent = "disconnected; retrying…"; setTimeout(connect, 1500); };
  };
  connect();
}

main();
