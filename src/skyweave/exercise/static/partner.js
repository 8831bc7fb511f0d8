// A partner staff's console: its own picture, alerts, consent queue and orders.
// Everything shown comes from the server's frame for this seat; every button is an order.

import { beep, esc, fmtT, order } from "./app.js";

function selectKeep(sel, options, placeholder) {
  const keep = sel.value;
  const html = [`<option value="">${esc(placeholder)}</option>`]
    .concat(options.map(([v, t]) => `<option value="${esc(v)}">${esc(t)}</option>`)).join("");
  if (sel.dataset.html !== html) { sel.innerHTML = html; sel.dataset.html = html; }
  if (options.some(([v]) => v === keep)) sel.value = keep;
}

export function createConsole({ setup, map, side }) {
  const me = setup.partner;
  side.innerHTML = `
    <h2>Consent queue <span class="count" id="q-count"></span></h2>
    <table id="questions"></table>
    <h2>Alerts <span class="count" id="alert-count"></span></h2>
    <div class="row"><button id="ack-all">Acknowledge all</button><span class="muted">sound (after a first click) and flash on each new alert</span></div>
    <div class="scroll"><table id="alerts"></table></div>
    <h2>Threats (predicted impacts)</h2>
    <table id="threats"></table>
    <h2>Batteries</h2>
    <div class="row"><button id="hold-all" class="deny">Hold fire: all ${esc(me)}</button><button id="free-all" class="grant">Weapons free: all ${esc(me)}</button></div>
    <table id="batteries"></table>
    <h2>Other partners' batteries <span class="muted">(as their battery status was released to us)</span></h2>
    <table id="remote-batteries"></table>
    <h2>Links</h2>
    <table id="links"></table>
    <h2>Orders</h2>
    <fieldset><legend>Engage</legend><div class="row">
      <select id="eng-track"></select><select id="eng-bty"></select><button id="engage">Engage</button></div>
      <div class="muted">feasibility is checked at the next decision cycle; a refusal shows in the log</div></fieldset>
    <fieldset><legend>Classify launch / track</legend><div class="row">
      <select id="cls-track"></select>
      <select id="cls-as"><option>accidental</option><option>deliberate</option><option>unknown</option></select>
      <button id="classify">Classify</button></div></fieldset>
    <fieldset><legend>Message to a partner (crosses the link if the policy releases messages)</legend><div class="row">
      <select id="msg-to"></select><input id="msg-text" placeholder="message" style="max-width:220px"><button id="msg-send">Send</button></div></fieldset>
    <h2>Messages received</h2>
    <table id="messages"></table>
    <fieldset><legend>Staff note</legend><div class="row">
      <input id="note-text" placeholder="note for the log" style="max-width:260px"><button id="note">Log</button></div></fieldset>
    <h2>Picture <span class="count" id="track-count"></span></h2>
    <table id="tracks"></table>
    <h2>Engagements in flight</h2>
    <table id="engagements"></table>
    <h2>Our log</h2>
    <table id="log"></table>`;
  document.getElementById("map-legend").innerHTML =
    `<i style="background:#a0006a;border-radius:5px"></i>track (2σ) <i style="background:rgba(255,80,0,.4)"></i>impact ellipse
     <i style="background:#ff2a2a;border-radius:5px"></i>threatened asset <i style="background:#0a7a2a"></i>intercept`;
  const el = (id) => document.getElementById(id);
  let last = null, seenAlerts = -1, selected = null;

  el("ack-all").onclick = async () => {
    if (!last) return;
    for (const a of last.alerts) if (!last.acked.includes(a.id)) await order({ kind: "note", text: `ack ${a.id}` }, "acknowledge");
  };
  el("hold-all").onclick = () => order({ kind: "hold_fire", partner: me }, "hold fire");
  el("free-all").onclick = () => order({ kind: "weapons_free", partner: me }, "weapons free");
  el("engage").onclick = () => {
    const track = el("eng-track").value, battery = el("eng-bty").value;
    if (!track || !battery) return;
    order({ kind: "engage", battery, track }, `engage ${track} with ${battery}`);
  };
  el("classify").onclick = () => {
    const track = el("cls-track").value;
    if (!track) return;
    order({ kind: "classify", track, as: el("cls-as").value }, `classify ${track}`);
  };
  el("msg-send").onclick = () => {
    const to = el("msg-to").value, text = el("msg-text").value.trim();
    if (to && text) order({ kind: "message", to, text }, `message to ${to}`).then((r) => { if (r) el("msg-text").value = ""; });
  };
  el("note").onclick = () => {
    const text = el("note-text").value.trim();
    if (text) order({ kind: "note", text }, "note").then((r) => { if (r) el("note-text").value = ""; });
  };
  side.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-act]");
    if (!b) return;
    const { act, id } = b.dataset;
    if (act === "grant" || act === "deny") order({ kind: "consent", question_id: id, granted: act === "grant" }, `${act} ${id}`);
    else if (act === "ack") order({ kind: "note", text: `ack ${id}` }, "acknowledge");
    else if (act === "hold") order({ kind: "hold_fire", battery: id }, `hold fire ${id}`);
    else if (act === "free") order({ kind: "weapons_free", battery: id }, `weapons free ${id}`);
    else if (act === "track") { selected = id; el("eng-track").value = id; el("cls-track").value = id; draw(); }
  });

  function draw() {
    if (!last) return;
    const threatened = last.threats.flatMap((t) => t.threatened.map((a) => a.asset));
    map.render({ tracks: last.tracks, threats: last.threats, engagements: last.engagements, threatened, selected });
  }

  return {
    pick({ hit }) {
      if (hit && last && last.tracks.some((t) => t.id === hit)) {
        selected = hit; el("eng-track").value = hit; el("cls-track").value = hit; draw();
      }
    },
    frame(f) {
      last = f;
      const acked = new Set(f.acked);
      if (seenAlerts >= 0 && f.alert_count > seenAlerts) beep();
      seenAlerts = f.alert_count;
      const unacked = f.alerts.filter((a) => !acked.has(a.id) && a.kind === "new_threat").length;
      el("alarm").hidden = unacked === 0;
      el("alarm").textContent = `${unacked} NEW THREAT${unacked > 1 ? "S" : ""}`;
      el("alert-count").textContent = `${f.alert_count} received`;
      el("alerts").innerHTML = "<tr><th>t</th><th>threat</th><th>change</th><th>impact</th><th>assets</th><th></th></tr>" +
        f.alerts.map((a) => `<tr class="alert ${acked.has(a.id) ? "acked" : a.kind === "new_threat" ? "new" : ""}" data-id="${esc(a.id)}" data-kind="${esc(a.kind)}">
          <td>${a.time_s.toFixed(0)}</td><td>${esc(a.threat)}${a.from !== me ? ` <span class="muted">(from ${esc(a.from)})</span>` : ""}</td><td>${esc(a.change)}</td>
          <td>${a.impact_time_s !== null ? `t=${a.impact_time_s.toFixed(0)}` : ""}</td><td class="wrap">${esc(a.assets.join(", "))}</td>
          <td>${acked.has(a.id) ? "ack" : `<button data-act="ack" data-id="${esc(a.id)}">Ack</button>`}</td></tr>`).join("");
      el("q-count").textContent = `${f.questions.length} open`;
      el("questions").innerHTML = f.questions.length
        ? "<tr><th>question</th><th>battery</th><th>track</th><th>intercept</th><th>deadline</th><th></th></tr>" + f.questions.map((q) => `<tr class="question" data-id="${esc(q.id)}">
          <td>${esc(q.id)}</td><td>${esc(q.battery)}</td><td>${esc(q.track)}</td>
          <td class="wrap">${q.intercept_s !== null ? `t=${q.intercept_s.toFixed(0)} at ${q.intercept_lat_lon[0].toFixed(2)}, ${q.intercept_lat_lon[1].toFixed(2)}, ${q.intercept_alt_km} km` : "–"}</td>
          <td class="deadline">t=${q.deadline_s.toFixed(0)} (${q.remaining_s.toFixed(0)} s)</td>
          <td><button class="grant" data-act="grant" data-id="${esc(q.id)}">Grant</button><button class="deny" data-act="deny" data-id="${esc(q.id)}">Deny</button></td></tr>`).join("")
        : `<tr><td class="muted">no question waiting; at a deadline the policy answers</td></tr>`;
      el("threats").innerHTML = f.threats.length
        ? "<tr><th>threat</th><th>class</th><th>state</th><th>impact</th><th>to go</th><th>threatened</th></tr>" + f.threats.map((t) => `<tr class="threat ${esc(t.lifecycle)}" data-id="${esc(t.id)}">
          <td>${esc(t.id)}</td><td>${esc(t.class)}</td><td>${esc(t.lifecycle.replace("_", " "))}</td><td>${t.impact[0] !== null ? `${t.impact[0].toFixed(2)}, ${t.impact[1].toFixed(2)}` : "launch only"}</td>
          <td>${t.time_to_go_s !== null ? `${Math.max(0, t.time_to_go_s).toFixed(0)} s` : "–"}</td>
          <td class="wrap ${t.threatened.length ? "warn" : ""}">${esc(t.threatened.map((a) => `${a.name} (${a.owner})`).join(", ") || "none")}</td></tr>`).join("")
        : `<tr><td class="muted">no open threat</td></tr>`;
      el("batteries").innerHTML = "<tr><th>battery</th><th>interceptors</th><th>status</th><th></th></tr>" + f.batteries.map((b) => `<tr>
          <td>${esc(b.id)}</td><td>${b.inventory}</td><td class="${b.held ? "held" : ""}">${b.held ? "HOLD FIRE" : "weapons free"}</td>
          <td>${b.held ? `<button data-act="free" data-id="${esc(b.id)}">Weapons free</button>` : `<button data-act="hold" data-id="${esc(b.id)}">Hold fire</button>`}</td></tr>`).join("");
      const partnerName = (id) => ((setup.partners || []).find((p) => p.id === id) || {}).name || id;
      const remote = f.remote_batteries || [];
      el("remote-batteries").innerHTML = (remote.length ? "<tr><th>battery</th><th>interceptors</th><th>readiness</th><th></th></tr>" : "") + ((setup.partners || []).filter((p) => p.id !== me).map((p) => {
        const rows = remote.filter((b) => b.partner === p.id);
        if (!rows.length) return `<tr class="remote-partner" data-partner="${esc(p.id)}"><td>${esc(p.name || p.id)}</td><td class="muted" colspan="3">not released</td></tr>`;
        return rows.map((b) => `<tr class="remote-battery" data-id="${esc(b.id)}"><td>${esc(partnerName(b.partner))}: ${esc(b.id)}</td>
          <td>${b.inventory === null ? "–" : b.inventory}</td><td>${b.ready === null ? "–" : b.ready ? "ready" : "not ready"}</td>
          <td class="muted">${b.as_of_s === null ? "" : `as of t=${b.as_of_s.toFixed(0)}`}</td></tr>`).join("");
      }).join("") || `<tr><td class="muted">no other partner</td></tr>`);
      const links = f.links || [];
      el("links").innerHTML = links.length
        ? "<tr><th>link</th><th>to</th><th>status</th></tr>" + links.map((l) => `<tr class="link" data-id="${esc(l.id)}" data-up="${l.up}">
          <td>${esc(l.id)}</td><td>${esc(partnerName(l.to))}</td>
          <td class="${l.up ? "" : "warn"}">${l.up ? "UP" : "DOWN"}${l.since_s !== null ? ` <span class="muted">since t=${l.since_s.toFixed(0)}</span>` : ""}</td></tr>`).join("")
        : `<tr><td class="muted">no link to any partner</td></tr>`;
      const trackOpts = f.tracks.map((t) => [t.id, `${t.id} (${t.alt_km} km${f.classified[t.id] ? ", " + f.classified[t.id] : ""})`]);
      selectKeep(el("eng-track"), trackOpts, "track…");
      selectKeep(el("cls-track"), trackOpts, "track…");
      selectKeep(el("eng-bty"), f.batteries.map((b) => [b.id, `${b.id} (${b.inventory})`]), "battery…");
      el("track-count").textContent = `${f.tracks.length} tracks at t=${f.picture_time_s === null ? "–" : f.picture_time_s.toFixed(0)}`;
      el("tracks").innerHTML = "<tr><th>track</th><th>alt km</th><th>speed</th><th>σ m</th><th>class</th></tr>" + f.tracks.map((t) => `<tr class="track ${t.id === selected ? "sel" : ""}">
          <td><button data-act="track" data-id="${esc(t.id)}">${esc(t.id)}</button></td><td>${t.alt_km}</td><td>${t.speed_mps}</td><td>${t.sigma_m}</td>
          <td>${esc(f.classified[t.id] || "")}${t.own ? "" : ' <span class="muted">(remote)</span>'}</td></tr>`).join("");
      el("engagements").innerHTML = f.engagements.length
        ? "<tr><th>battery</th><th>track</th><th>launch</th><th>intercept</th><th>shots</th></tr>" + f.engagements.map((e) => `<tr>
          <td>${esc(e.battery)}</td><td>${esc(e.track)}</td><td>${e.launch_s}</td><td>${e.intercept_s}</td><td>${e.shots}</td></tr>`).join("")
        : `<tr><td class="muted">none</td></tr>`;
      selectKeep(el("msg-to"), (setup.partners || []).filter((p) => p.id !== me).map((p) => [p.id, p.name || p.id]), "to…");
      el("messages").innerHTML = f.messages && f.messages.length
        ? "<tr><th>t</th><th>from</th><th>text</th></tr>" + f.messages.map((m) => `<tr class="message"><td>${m.time_s.toFixed(0)}</td><td>${esc(m.from)}</td><td class="wrap">${esc(m.text)}</td></tr>`).join("")
        : `<tr><td class="muted">none</td></tr>`;
      el("log").innerHTML = f.log.map((r) => `<tr><td>${fmtT(r.time_s)}</td><td class="${r.kind === "command_rejected" ? "warn" : ""}">${esc(r.kind)}</td><td>${esc(r.target || "")}</td><td class="wrap">${esc(r.text)}</td></tr>`).join("");
      draw();
    },
  };
}
