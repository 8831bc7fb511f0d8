// The white cell's console (and the observer's, read-only): clock, truth, any partner's
// view at the current time, the inject library, notes and bookmarks.

import { esc, fmtT, order, post, toast } from "./app.js";

const EVENT_KINDS = {
  sensor_failure: "sensors", sensor_repair: "sensors", link_cut: "links", link_restore: "links",
  battery_empty: "batteries", command_post_silent: "partners", command_post_restore: "partners",
};

export function createConsole({ setup, map, side, send }) {
  const white = setup.role === "white";
  const review = setup.review || null;
  const live = white && !review;
  const partners = setup.partners;
  side.innerHTML = `
    ${white && review ? `<h2>Review: time</h2>
    <div class="row"><input id="slider" type="range" min="${review.start_s}" max="${review.end_s}" step="${review.step_s}" value="${review.start_s}" style="flex:1" data-review>
      <span id="slider-t" class="muted"></span></div>
    <div class="row"><button id="back" data-review>&lt; ${review.step_s} s</button><button id="fwd" data-review>${review.step_s} s &gt;</button>
      <span class="muted">read-only review of ${esc(review.run_dir)}</span></div>
    <h2>Partners at this instant</h2>
    <table id="side-by-side"></table>` : ""}
    ${live ? `<h2>Clock</h2>
    <div class="row">
      <button id="start">Start / resume</button><button id="pause">Pause</button><button id="step">Step 1 tick</button>
      <label>rate <select id="rate">${[0.5, 1, 2, 5, 10, 20, 30, 60].map((r) => `<option value="${r}">${r}x</option>`).join("")}</select></label>
    </div>
    <div class="row"><span id="rate-info" class="muted"></span></div>` : ""}
    ${white ? `<h2>View</h2>
    <div class="row" id="views"><button data-view="" class="on">Truth</button>${partners.map((p) => `<button data-view="${esc(p.id)}">${esc(p.name)} as it saw it</button>`).join("")}</div>` : ""}
    ${live ? `
    <h2>Inject library</h2>
    <fieldset><legend>Ballistic launch (accidental single or salvo)</legend>
      <div class="row"><label>id</label><input id="l-id" class="short" value="wc-1">
        <label>count</label><input id="l-count" class="short" type="number" min="1" max="20" value="1">
        <label>over s</label><input id="l-over" class="short" type="number" min="0" value="0">
        <label><input id="l-acc" type="checkbox" checked> accidental</label></div>
      <div class="row"><label>from</label><input id="l-lat" class="short" placeholder="lat°"><input id="l-lon" class="short" placeholder="lon°">
        <button id="pick-launch">pick on map</button></div>
      <div class="row"><label><input type="radio" name="aim" value="point" checked> aim point</label>
        <input id="a-lat" class="short" placeholder="lat°"><input id="a-lon" class="short" placeholder="lon°"><button id="pick-aim">pick on map</button></div>
      <div class="row"><label><input type="radio" name="aim" value="range"> range</label><input id="a-range" class="short" placeholder="km">
        <label>azimuth</label><input id="a-az" class="short" placeholder="° from N"></div>
      <div class="row"><label>burn s</label><input id="l-burn" class="short" value="60"></div>
      <div class="row"><input id="l-expect" placeholder="expected response" style="max-width:170px"><input id="l-note" placeholder="note" style="max-width:140px">
        <button id="launch" class="danger">Launch</button></div>
    </fieldset>
    <fieldset><legend>Event</legend>
      <div class="row"><select id="e-kind">${Object.keys(EVENT_KINDS).map((k) => `<option>${k}</option>`).join("")}</select>
        <select id="e-target"></select></div>
      <div class="row"><input id="e-text" placeholder="text" style="max-width:120px"><input id="e-expect" placeholder="expected response" style="max-width:150px">
        <button id="event">Apply</button></div>
    </fieldset>
    <fieldset><legend>Notes and bookmarks</legend>
      <div class="row"><input id="n-text" placeholder="note" style="max-width:220px"><button id="note">Note</button><button id="bookmark">Bookmark</button></div>
    </fieldset>
    <div class="row"><button id="end" class="danger">End exercise and write the run folder</button></div>` : ""}
    <h2>Consent questions open <span class="count" id="q-count"></span></h2>
    <table id="questions"></table>
    <h2>Batteries</h2>
    <table id="batteries"></table>
    <h2>Engagements in flight</h2>
    <table id="engagements"></table>
    <h2 id="objects-title">Truth: objects in flight</h2>
    <table id="objects"></table>
    <h2>Network and sensors</h2>
    <div id="network"></div>
    <h2>Event log</h2>
    <table id="events"></table>
    ${white ? `<h2>Bookmarks</h2><table id="bookmarks"></table>` : ""}`;
  document.getElementById("map-legend").innerHTML =
    `<i style="background:#d00000"></i>ballistic <i style="background:#e07000"></i>cruise <i style="background:#6a3d9a"></i>aircraft
     <i style="background:#0a7a2a"></i>intercept ${partners.map((p) => `<i style="background:${esc(p.color)}"></i>${esc(p.name)}`).join(" ")}`;
  const el = (id) => document.getElementById(id);
  let last = null, viewAs = "", picking = null, launchPt = null, aimPt = null, nLaunch = 1;
  const hint = el("map-hint");

  if (white) el("views").addEventListener("click", (e) => {
    const b = e.target.closest("button[data-view]");
    if (!b) return;
    viewAs = b.dataset.view;
    for (const x of el("views").querySelectorAll("button")) x.classList.toggle("on", x === b);
    send({ view_as: viewAs || null });
  });

  if (white && review) {
    const seek = (t) => post("/api/clock", { action: "seek", time_s: Number(t) });
    el("slider").oninput = () => { el("slider-t").textContent = `t = ${Number(el("slider").value).toFixed(0)} s`; };
    el("slider").onchange = () => seek(el("slider").value);
    el("back").onclick = () => seek(Number(el("slider").value) - review.step_s);
    el("fwd").onclick = () => seek(Number(el("slider").value) + review.step_s);
    el("bookmarks").addEventListener("click", (e) => {
      const row = e.target.closest("tr[data-t]");
      if (row) seek(row.dataset.t);
    });
  }

  if (live) {
    const clock = (action, extra) => post("/api/clock", { action, ...extra });
    el("start").onclick = () => clock("start");
    el("pause").onclick = () => clock("pause");
    el("step").onclick = () => clock("step");
    el("rate").onchange = () => clock("rate", { rate: Number(el("rate").value) });
    const fillTargets = () => {
      const list = setup.menus[EVENT_KINDS[el("e-kind").value]] || [];
      el("e-target").innerHTML = list.map((t) => `<option>${esc(t)}</option>`).join("");
    };
    el("e-kind").onchange = fillTargets;
    fillTargets();
    el("pick-launch").onclick = () => { picking = "launch"; hint.textContent = "click the launch point on the map"; };
    el("pick-aim").onclick = () => { picking = "aim"; hint.textContent = "click the aim point on the map"; };
    el("launch").onclick = async () => {
      const num = (id) => Number(el(id).value);
      const threat = {
        type: "ballistic", id: el("l-id").value.trim(),
        launch: { lat_deg: num("l-lat"), lon_deg: num("l-lon") },
        burn_time_s: num("l-burn") || 60,
        accidental: el("l-acc").checked,
      };
      const aimMode = document.querySelector("input[name=aim]:checked").value;
      threat.aim = aimMode === "point" ? { lat_deg: num("a-lat"), lon_deg: num("a-lon") } : { range_km: num("a-range"), azimuth_deg: num("a-az") };
      const count = Math.max(1, Math.round(num("l-count") || 1));
      if (count > 1) threat.salvo = { count, over_s: num("l-over") || 0 };
      const body = { kind: "inject", threat };
      if (el("l-expect").value.trim()) body.expected_response = el("l-expect").value.trim();
      if (el("l-note").value.trim()) body.note = el("l-note").value.trim();
      if (await order(body, `launch ${threat.id}`)) {
        nLaunch += 1;
        el("l-id").value = `wc-${nLaunch}`;
      }
    };
    el("event").onclick = () => {
      const body = { kind: "inject", inject: { kind: el("e-kind").value, target: el("e-target").value, text: el("e-text").value } };
      if (el("e-expect").value.trim()) body.expected_response = el("e-expect").value.trim();
      order(body, el("e-kind").value);
    };
    const note = (prefix) => {
      const text = el("n-text").value.trim();
      if (!text && !prefix) return;
      order({ kind: "note", text: prefix ? `${prefix}${text}` : text }, prefix ? "bookmark" : "note").then((r) => { if (r) el("n-text").value = ""; });
    };
    el("note").onclick = () => note("");
    el("bookmark").onclick = () => note("bookmark: ");
    el("end").onclick = async () => {
      if (!confirm("End the exercise and write the run folder?")) return;
      const r = await post("/api/end", {});
      if (r) toast(`exercise ended; run folder ${r.run_dir}`);
    };
  }

  function draw() {
    if (!last) return;
    const marks = [];
    if (launchPt) marks.push({ ...launchPt, text: "launch", color: "#c00" });
    if (aimPt) marks.push({ ...aimPt, text: "aim", color: "#06c" });
    if (viewAs && last.view_as) {
      const v = last.view_as;
      map.render({ tracks: v.tracks, threats: v.threats, engagements: v.engagements, threatened: v.threats.flatMap((t) => t.threatened.map((a) => a.asset)), marks });
    } else {
      map.render({ objects: last.objects, engagements: last.engagements, marks });
    }
  }

  return {
    reconnected() { if (viewAs) send({ view_as: viewAs }); },
    pick({ lat, lon }) {
      if (!picking) return;
      const [la, lo] = [lat.toFixed(3), lon.toFixed(3)];
      if (picking === "launch") { el("l-lat").value = la; el("l-lon").value = lo; launchPt = { lat, lon }; }
      else { el("a-lat").value = la; el("a-lon").value = lo; aimPt = { lat, lon }; document.querySelector("input[name=aim][value=point]").checked = true; }
      picking = null; hint.textContent = "";
      draw();
    },
    frame(f) {
      last = f;
      if (white && review) {
        el("slider").value = String(f.clock.time_s);
        el("slider-t").textContent = `t = ${f.clock.time_s.toFixed(0)} s (${fmtT(f.clock.time_s)})`;
        el("side-by-side").innerHTML = "<tr><th>partner</th><th>tracks</th><th>alerts</th><th>threats</th><th>questions</th><th>engaging</th><th>held</th></tr>"
          + Object.entries(f.views).map(([p, v]) => `<tr><td>${esc(p)}</td><td>${v.tracks}</td><td>${v.alerts}</td><td>${v.threats}</td><td>${v.questions}</td><td>${v.engagements}</td><td class="${v.held.length ? "held" : ""}">${esc(v.held.join(", ") || "–")}</td></tr>`).join("");
      }
      if (live) {
        const c = f.clock;
        el("rate").value = String(c.rate);
        el("rate-info").innerHTML = c.achieved_rate === null ? `chosen ${c.rate}x`
          : `chosen ${c.rate}x · actual <b class="${c.holding ? "" : "warn"}">${c.achieved_rate}x</b>${c.holding ? "" : " — this machine cannot hold the chosen rate"}`;
      }
      el("q-count").textContent = `${f.questions.length}`;
      el("questions").innerHTML = f.questions.map((q) => `<tr><td>${esc(q.id)}</td><td>${esc(q.partner)}</td><td>${esc(q.battery)}</td><td>${esc(q.track)}</td><td class="deadline">t=${q.deadline_s.toFixed(0)}</td></tr>`).join("")
        || `<tr><td class="muted">none</td></tr>`;
      el("batteries").innerHTML = "<tr><th>battery</th><th>partner</th><th>left</th><th>status</th></tr>" + f.batteries.map((b) => `<tr><td>${esc(b.id)}</td><td>${esc(b.partner)}</td><td>${b.inventory}</td><td class="${b.held ? "held" : ""}">${b.held ? "HOLD FIRE" : "free"}</td></tr>`).join("");
      el("engagements").innerHTML = f.engagements.map((e) => `<tr><td>${esc(e.battery)}</td><td>${esc(e.track)}</td><td>${esc(e.object)}</td><td>launch ${e.launch_s}</td><td>intercept ${e.intercept_s}</td></tr>`).join("")
        || `<tr><td class="muted">none</td></tr>`;
      if (viewAs && f.view_as) {
        const v = f.view_as;
        el("objects-title").textContent = `${viewAs}'s picture at t=${f.clock.time_s.toFixed(0)} (${v.tracks.length} tracks, ${v.alert_count} alerts)`;
        el("objects").innerHTML = "<tr><th>track</th><th>alt km</th><th>speed</th><th>σ m</th></tr>" + v.tracks.map((t) => `<tr><td>${esc(t.id)}</td><td>${t.alt_km}</td><td>${t.speed_mps}</td><td>${t.sigma_m}</td></tr>`).join("")
          + v.alerts.slice(0, 10).map((a) => `<tr><td>alert ${a.time_s.toFixed(0)}</td><td>${esc(a.kind)}</td><td colspan="2">${esc(a.threat || "")} ${esc(a.change || "")} ${esc(a.assets.join(", "))}</td></tr>`).join("");
      } else {
        el("objects-title").textContent = `Truth: objects in flight (${f.objects.length})`;
        el("objects").innerHTML = "<tr><th>object</th><th>kind</th><th>alt km</th><th>speed</th></tr>" + f.objects.map((o) => `<tr><td>${esc(o.id)}${o.accidental ? " <b>(accidental)</b>" : ""}</td><td>${esc(o.kind)}</td><td>${o.alt_km}</td><td>${o.speed_mps}</td></tr>`).join("");
      }
      const net = Object.entries(f.network).map(([k, v]) => `${esc(k)}: <b>${esc(v.replace("_", " "))}</b>`);
      el("network").innerHTML = (net.concat(f.sensors_down.map((s) => `<span class="warn">${esc(s)} down</span>`)).join(" · ")) || '<span class="muted">all links up, all sensors working</span>';
      el("events").innerHTML = f.events.map((e) => `<tr><td>${fmtT(e.time_s)}</td><td>${esc(e.source)}</td><td class="${e.kind === "command_rejected" ? "warn" : ""}">${esc(e.kind)}</td><td>${esc(e.target || "")}</td><td class="wrap">${esc(e.text)}</td></tr>`).join("");
      if (white) el("bookmarks").innerHTML = f.bookmarks.map((b) => `<tr data-t="${b.time_s}" class="${review ? "jump" : ""}"><td>${fmtT(b.time_s)}</td>${review ? `<td>${esc(b.source)}</td>` : ""}<td class="wrap">${esc(b.text)}</td></tr>`).join("") || `<tr><td class="muted">none</td></tr>`;
      draw();
    },
  };
}
