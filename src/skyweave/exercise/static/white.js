// The white cell's console (and the observer's, read-only): clock, seats, the live outcome
// feed, truth against any partner's picture, the inject library (now or at a set time),
// messages to any seat, notes and bookmarks, rewind to a bookmark or a time as a new
// branch (the old future kept), and the end.

import { clockTime, esc, fmtT, order, post, setText, textRows, toast } from "./app.js";

const EVENT_KINDS = {
  sensor_failure: "sensors", sensor_repair: "sensors", link_cut: "links", link_restore: "links",
  battery_empty: "batteries", command_post_silent: "partners", command_post_restore: "partners",
};

export function createConsole({ setup, map, side, send }) {
  const white = setup.role === "white";
  const review = setup.review || null;
  const live = white && !review;
  const partners = setup.partners;
  const name = (id) => (partners.find((p) => p.id === id) || {}).name || id;
  side.innerHTML = `
    ${white && review ? `<h2>Review: time</h2>
    <div class="row"><input id="slider" type="range" min="${review.start_s}" max="${review.end_s}" step="${review.step_s}" value="${review.start_s}" style="flex:1" data-review>
      <span id="slider-t" class="muted"></span></div>
    <div class="row"><button id="back" data-review>&lt; ${review.step_s} s</button><button id="fwd" data-review>${review.step_s} s &gt;</button>
      <span class="muted">read-only review of ${esc(review.run_dir)}</span></div>
    <h2>Partners at this instant</h2>
    <table id="side-by-side"></table>
    ${(review.lines || []).length > 1 ? `<h2>Lines of play at this instant</h2>
    <table><thead><tr><th>line</th><th>objects in flight</th><th>engagements</th>${partners.map((p) => `<th>${esc(p.name)}: threats / questions / alerts</th>`).join("")}</tr></thead><tbody id="lines"></tbody></table>
    <p class="muted">showing ${esc(review.line)}; the run keeps ${review.lines.map(esc).join(", ")} (skyweave exercise --review RUN_DIR --branch NAME [--branch OTHER] shows one and compares others beside it)</p>` : ""}` : ""}
    ${live ? `<h2>Clock</h2>
    <div class="row">
      <button id="start">Start / resume</button><button id="pause">Pause</button><button id="step">Step 1 tick</button>
      <label>rate <select id="rate">${[0.5, 1, 2, 5, 10, 20, 30, 60].map((r) => `<option value="${r}">${r}x</option>`).join("")}</select></label>
      <button id="end" class="danger">End exercise</button>
    </div>
    <div class="row"><span id="rate-info" class="muted"></span></div>
    <h2>Seats</h2>
    <table><tbody id="presence"></tbody></table>` : ""}
    ${white ? `<h2>View</h2>
    <div class="row" id="views"><button data-view="" class="on">Truth</button>${partners.map((p) => `<button data-view="${esc(p.id)}">${esc(p.name)}'s picture</button>`).join("")}</div>
    <div class="row"><label><input type="checkbox" id="overlay" checked> with the truth under a partner's picture (truth against perceived)</label></div>` : ""}
    <h2>Outcomes, live <span class="count" id="feed-count"></span></h2>
    <div class="scroll"><table><tbody id="feed"></tbody></table><div class="empty">nothing yet</div></div>
    ${live ? `
    <h2>Message to a seat</h2>
    <div class="row"><select id="m-to"><option value="all">all partners</option>${partners.map((p) => `<option value="${esc(p.id)}">${esc(p.name)}</option>`).join("")}</select>
      <input id="m-text" placeholder="white-cell message" style="max-width:300px"><button id="m-send">Send</button></div>
    <h2>Inject library</h2>
    <div class="row"><label>at</label><input id="at-s" class="short" type="number" min="0" placeholder="now"><span class="muted">sim s (empty: now); a later time schedules it</span></div>
    <div class="row"><label>expected response</label><select id="x-seat"><option value="">none</option>${partners.map((p) => `<option value="${esc(p.id)}">${esc(p.name)}</option>`).join("")}</select>
      <select id="x-kind">${["message", "classify", "hold_fire", "weapons_free", "engage", "consent", "note"].map((k) => `<option>${k}</option>`).join("")}</select>
      <label>within</label><input id="x-within" class="short" type="number" min="1" value="60"><span class="muted">s; assessed from the log</span></div>
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
      <div class="row"><input id="l-note" placeholder="note" style="max-width:220px"><button id="launch" class="danger">Launch</button></div>
    </fieldset>
    <fieldset><legend>Event</legend>
      <div class="row"><select id="e-kind">${Object.keys(EVENT_KINDS).map((k) => `<option>${k}</option>`).join("")}</select>
        <select id="e-target"></select></div>
      <div class="row"><input id="e-text" placeholder="text" style="max-width:220px"><button id="event">Apply</button></div>
    </fieldset>
    <h2>Injects and expected responses</h2>
    <div><table><thead><tr><th>time</th><th>inject</th><th>expected response</th><th>assessed</th></tr></thead><tbody id="injects"></tbody></table><div class="empty">none yet</div></div>
    <fieldset><legend>Notes and bookmarks</legend>
      <div class="row"><input id="n-text" placeholder="note" style="max-width:300px"><button id="note">Note</button><button id="bookmark">Bookmark</button></div>
    </fieldset>
    <fieldset><legend>Rewind and branch</legend>
      <div class="row"><label>back to</label><input id="rw-t" class="short" type="number" min="0" placeholder="sim s"><span class="muted">sim s, or click a bookmark below</span></div>
      <div class="row"><label>as branch</label><input id="rw-name" class="short" value="b1" maxlength="40"><button id="rewind" class="danger">Rewind</button>
        <span class="muted">the line played so far is kept</span></div>
      <div><table><thead><tr><th>line of play</th><th>branched from</th><th>at</th><th>played to</th></tr></thead><tbody id="branches"></tbody></table></div>
    </fieldset>` : ""}
    <h2>Consent questions open <span class="count" id="q-count"></span></h2>
    <div><table><tbody id="questions"></tbody></table><div class="empty">none</div></div>
    <h2>Batteries</h2>
    <table><tbody id="batteries"></tbody></table>
    <h2>Engagements in flight</h2>
    <div><table><tbody id="engagements"></tbody></table><div class="empty">none</div></div>
    <h2 id="objects-title">Truth: objects in flight</h2>
    <div><table><tbody id="objects"></tbody></table><div class="empty">none</div></div>
    <h2>Network and sensors</h2>
    <div id="network"></div>
    <h2>Event log</h2>
    <div class="scroll"><table><tbody id="events"></tbody></table><div class="empty">nothing yet</div></div>
    ${white ? `<h2>Bookmarks</h2><div><table><tbody id="bookmarks"></tbody></table><div class="empty">none</div></div>` : ""}`;
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
  if (white) el("overlay").onchange = () => draw();

  if (white && review) {
    const seek = (t) => post("/api/clock", { action: "seek", time_s: Number(t) });
    el("slider").oninput = () => { el("slider-t").textContent = fmtT(Number(el("slider").value)); };
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
    // an inject now, or scheduled at a later simulation second
    const withTime = (body) => {
      const at = el("at-s").value.trim();
      const out = at === "" ? { ...body } : { ...body, at_s: Number(at) };
      if (el("x-seat").value) out.expected_response = `${el("x-seat").value} ${el("x-kind").value} within ${Number(el("x-within").value) || 60} s`;
      return out;
    };
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
      if (el("l-note").value.trim()) body.note = el("l-note").value.trim();
      if (await order(withTime(body), `launch ${threat.id}`)) {
        nLaunch += 1;
        el("l-id").value = `wc-${nLaunch}`;
      }
    };
    el("event").onclick = () => {
      const body = { kind: "inject", inject: { kind: el("e-kind").value, target: el("e-target").value, text: el("e-text").value } };
      order(withTime(body), el("e-kind").value);
    };
    el("m-send").onclick = () => {
      const text = el("m-text").value.trim();
      if (!text) return;
      order({ kind: "note", text: `to ${el("m-to").value}: ${text}` }, `message to ${el("m-to").value}`).then((r) => { if (r) el("m-text").value = ""; });
    };
    const note = (prefix) => {
      const text = el("n-text").value.trim();
      if (!text && !prefix) return;
      order({ kind: "note", text: prefix ? `${prefix}${text}` : text }, prefix ? "bookmark" : "note").then((r) => { if (r) el("n-text").value = ""; });
    };
    el("rewind").onclick = async () => {
      const t = el("rw-t").value.trim(), branch = el("rw-name").value.trim();
      if (t === "") { toast("rewind: give a time or click a bookmark", true); return; }
      if (!confirm(`Rewind to ${fmtT(Number(t))} and play on as branch ${branch}? The line played so far is kept.`)) return;
      const r = await post("/api/rewind", { to_s: Number(t), branch });
      if (r) { toast(`rewound to ${fmtT(r.time_s)}: branch ${r.branch} (paused)`); el("rw-t").value = ""; }
    };
    el("bookmarks").addEventListener("click", (e) => {
      const row = e.target.closest("tr[data-t]");
      if (row) el("rw-t").value = row.dataset.t;
    });
    el("note").onclick = () => note("");
    el("bookmark").onclick = () => note("bookmark: ");
    el("end").onclick = async () => {
      if (!confirm("End the exercise and write the run folder?")) return;
      el("end").dataset.pressedAt = String(Date.now());  // (the tests time the broadcast)
      const r = await post("/api/end", {});
      if (r) toast(`exercise ended; run folder ${r.run_dir}`);
    };
  }

  function draw() {
    if (!last) return;
    const marks = [];
    if (launchPt) marks.push({ ...launchPt, text: "launch" });
    if (aimPt) marks.push({ ...aimPt, text: "aim" });
    if (viewAs && last.view_as) {
      const v = last.view_as;
      const objects = el("overlay").checked ? last.objects : [];
      map.render({ tracks: v.tracks, objects, threats: v.threats, engagements: v.engagements, threatened: v.threats.flatMap((t) => t.assets || (t.threatened || []).map((a) => a.asset)), marks });
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
        el("slider-t").textContent = fmtT(f.clock.time_s);
        el("side-by-side").innerHTML = "<tr><th>partner</th><th>tracks</th><th>alerts</th><th>threats</th><th>questions</th><th>engaging</th><th>held</th></tr>"
          + Object.entries(f.views).map(([p, v]) => `<tr><td>${esc(p)}</td><td>${v.tracks}</td><td>${v.alerts}</td><td>${v.threats}</td><td>${v.questions}</td><td>${v.engagements}</td><td class="${v.held.length ? "held" : ""}">${esc(v.held.join(", ") || "–")}</td></tr>`).join("");
        if (el("lines") && f.lines) {
          textRows(el("lines"), f.lines, (l) => l.line,
            (l) => [l.line + (l.shown ? " (shown)" : ""), l.objects, l.engagements,
              ...partners.map((p) => { const v = l.views[p.id] || {}; return `${v.threats ?? "–"} / ${v.questions ?? "–"} / ${v.alerts ?? "–"}`; })],
            (l) => (l.shown ? "current" : ""));
        }
      }
      if (live) {
        const c = f.clock;
        if (document.activeElement !== el("rate")) el("rate").value = String(c.rate);
        el("rate-info").innerHTML = c.achieved_rate === null ? `chosen ${c.rate}x`
          : `chosen ${c.rate}x · actual <b class="${c.holding ? "" : "warn"}">${c.achieved_rate}x</b>${c.holding ? "" : " — this machine cannot hold the chosen rate"}`;
        const presence = f.presence || {};
        textRows(el("presence"), ["white", ...partners.map((p) => p.id), "observer"], (s) => s,
          (s) => [s === "white" ? "White cell" : s === "observer" ? "Observer" : `${name(s)} staff`,
            presence[s] ? `connected (${presence[s]} console${presence[s] > 1 ? "s" : ""})` : "not connected"],
          (s) => `seat ${presence[s] ? "presence-on" : "presence-off"}`);
        textRows(el("injects"), f.injects || [], (s) => `${s.time_s}|${s.what}`,
          (s) => [fmtT(s.time_s), s.what + (s.note ? ` (${s.note})` : ""), s.expected_response || "–",
            s.status ? `${s.status}${s.response_s !== null ? ` at ${fmtT(s.response_s)}` : ""}` : "–"],
          (s) => `inject status-${(s.status || "none").replace(/ /g, "-")}`);
        const lines = f.branches || [];
        textRows(el("branches"), lines, (b) => b.name,
          (b) => [b.name + (b.current ? " (playing)" : ""), b.parent || "–", b.parent ? fmtT(b.branch_time_s) : "–", fmtT(b.played_to_s)],
          (b) => (b.current ? "current" : ""));
        // the next free name, unless the white cell is typing one
        const taken = new Set(lines.map((b) => b.name));
        if (document.activeElement !== el("rw-name") && taken.has(el("rw-name").value)) {
          let n = lines.length;
          while (taken.has(`b${n}`)) n += 1;
          el("rw-name").value = `b${n}`;
        }
      }
      const feed = f.outcomes || [];
      setText(el("feed-count"), `${feed.length} shown`);
      textRows(el("feed"), feed, (o) => `${o.time_s}|${o.kind}|${o.text}`,
        (o) => [clockTime(o.time_s), `${Math.round(o.time_s)} s`, o.kind.replace(/_/g, " "), o.text], (o) => `feed-${o.kind}`);
      setText(el("q-count"), `${f.questions.length}`);
      textRows(el("questions"), f.questions, (q) => q.id,
        (q) => [q.id, name(q.partner), q.battery, q.track, `deadline ${fmtT(q.deadline_s)}`]);
      textRows(el("batteries"), f.batteries, (b) => b.id,
        (b) => [b.id, name(b.partner), `${b.inventory} left`, b.held ? "HOLD FIRE" : "weapons free"], (b) => (b.held ? "held" : ""));
      textRows(el("engagements"), f.engagements, (e) => e.id,
        (e) => [e.battery, e.track, e.object, `launched ${clockTime(e.launch_s)}`, `intercept ${clockTime(e.intercept_s)}`]);
      if (viewAs && f.view_as) {
        const v = f.view_as;
        setText(el("objects-title"), `${name(viewAs)}'s picture at ${fmtT(f.clock.time_s)} (${v.tracks.length} tracks, ${v.alert_count} alerts)`);
        textRows(el("objects"), v.tracks, (t) => `track:${t.id}`, (t) => [t.id, `${t.alt_km} km`, `${t.speed_mps} m/s`, `σ ${t.sigma_m} m`]);
      } else {
        setText(el("objects-title"), `Truth: objects in flight (${f.objects.length})`);
        textRows(el("objects"), f.objects, (o) => `obj:${o.id}`, (o) => [`${o.id}${o.accidental ? " (accidental)" : ""}`, o.kind, `${o.alt_km} km`, `${o.speed_mps} m/s`]);
      }
      const net = Object.entries(f.network).map(([k, v]) => `${esc(k)}: <b>${esc(v.replace("_", " "))}</b>`);
      const text = (net.concat(f.sensors_down.map((s) => `<span class="warn">${esc(s)} down</span>`)).join(" · ")) || '<span class="muted">all links up, all sensors working</span>';
      if (el("network").dataset.html !== text) { el("network").innerHTML = text; el("network").dataset.html = text; }
      textRows(el("events"), f.events, (e) => `${e.time_s}|${e.source}|${e.kind}|${e.target}|${e.text}`,
        (e) => [fmtT(e.time_s), e.source, e.kind.replace(/_/g, " "), e.target || "", e.text],
        (e) => (e.kind.endsWith("rejected") || e.text.startsWith("pause requested") ? "warn" : ""));
      if (white) {
        textRows(el("bookmarks"), f.bookmarks, (b) => `${b.time_s}|${b.text}`,
          (b) => (review ? [fmtT(b.time_s), b.source, b.text] : [fmtT(b.time_s), b.text]), () => "jump");
        for (const tr of el("bookmarks").children) {
          const b = f.bookmarks.find((x) => `${x.time_s}|${x.text}` === tr.dataset.key);
          if (b) tr.dataset.t = String(b.time_s);
        }
      }
      draw();
    },
  };
}
