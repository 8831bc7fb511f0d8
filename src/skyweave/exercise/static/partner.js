// A partner staff's console: the threat board, its alerts, the consent questions in context,
// its batteries and orders. Everything shown comes from the server's frame for this seat;
// every button is an order. Rows are keyed and updated in place (app.js keyed()), so a
// button being pressed is never replaced under the pointer.

import { beep, clockTime, esc, fmtT, html, keyed, order, setAttr, setText } from "./app.js";
import { iconSvg, sidc, threatAffiliation } from "./symbols.js";

// the decision log's reasons (c2/decision_log.py) as a board cell says them; the
// row's title holds the full sentence
const WHY_SHORT = {
  consent_pending: "consent pending",
  order_unacknowledged: "order not acknowledged yet",
  killed: "kill reported",
  lower_priority: "lower priority",
  consent_denied: "consent denied",
  no_window_yet: "no window yet",
  battery_busy: "battery busy",
  battery_held: "battery held",
  inventory_exhausted: "battery empty",
  battery_status_unknown: "battery status unknown",
  command_post_silent: "command post silent",
  remote_track_only: "only a partner's track",
  no_kill_probability: "no kill probability",
  not_defended: "not ours to defend",
  no_battery_in_reach: "out of reach",
  no_asset_threatened: "no asset threatened",
  not_tracked: "no track of our own",
};

const LIFECYCLE = {
  detected: "new", tracked: "tracked", impact_predicted: "impact predicted", engaged: "engaged",
  killed: "killed", impacted: "impacted", all_clear: "all clear",
};
const ALERT_KIND = {
  new_threat: "new threat", threat_change: "change", engagement_result: "engagement result",
  impact: "impact", all_clear: "all clear",
};
const LIFE_COLOUR = {
  detected: "#e0a000", tracked: "#e0a000", impact_predicted: "#d00000", engaged: "#1f5fbf",
  killed: "#2e8b57", impacted: "#000000", all_clear: "#bbbbbb",
};
const CLASSES = ["unknown", "accidental", "deliberate"];

function selectKeep(sel, options, placeholder) {
  const keep = sel.value;
  const text = [`<option value="">${esc(placeholder)}</option>`]
    .concat(options.map(([v, t]) => `<option value="${esc(v)}">${esc(t)}</option>`)).join("");
  if (sel.dataset.html !== text && document.activeElement !== sel) { sel.innerHTML = text; sel.dataset.html = text; }
  if (options.some(([v]) => v === keep)) sel.value = keep;
}

/** The engagement's kill probability against the threat's class, or against each class
 *  while the class is not known. */
function killProbability(q, t) {
  const pct = (p) => `${Math.round(p * 100)} %`;
  const shots = `${q.shots} shot${q.shots > 1 ? "s" : ""}`;
  const by = q.pk_by_class || {};
  if (t && by[t.class] !== undefined) return `${pct(by[t.class])} against a ${t.class} threat (${shots})`;
  return `${Object.entries(by).map(([c, p]) => `${pct(p)} if ${c}`).join(", ")} (${shots}; class not known yet)`;
}

/** Sorted by time to go (soonest first; none last), then by first seen. */
function byTimeToGo(a, b) {
  const ta = a.time_to_go_s ?? Infinity, tb = b.time_to_go_s ?? Infinity;
  return ta - tb || (a.first_seen_s ?? 0) - (b.first_seen_s ?? 0);
}

export function createConsole({ setup, map, side }) {
  const me = setup.partner;
  const partnerName = (id) => ((setup.partners || []).find((p) => p.id === id) || {}).name || id || "?";
  const assetsById = Object.fromEntries(setup.assets.map((a) => [a.id, a]));
  side.innerHTML = `
    <h2>Consent questions <span class="count" id="q-count"></span></h2>
    <div id="questions-box"><div id="questions"></div><div class="empty">no question waiting; at a deadline the policy answers</div></div>
    <h2>Threat board <span class="count" id="threat-count"></span></h2>
    <div class="lifekey">${Object.entries(LIFECYCLE).map(([k, v]) => `<span><i style="background:${LIFE_COLOUR[k]}"></i>${esc(v)}</span>`).join("")}</div>
    <div id="board-box"><table><thead><tr><th>threat</th><th>state · time to go</th><th>threatened (owner)</th><th>engaged by</th><th>classify</th></tr></thead>
      <tbody id="board"></tbody></table><div class="empty">no open threat</div></div>
    <h2>Alerts: the board's changes <span class="count" id="alert-count"></span></h2>
    <div class="row"><button id="ack-all">Acknowledge all</button><span class="muted">sound (after a first click) and flash on each new threat</span></div>
    <div class="scroll" id="alerts-box"><table><tbody id="alerts"></tbody></table><div class="empty">no alert yet</div></div>
    <h2>Our batteries</h2>
    <div class="row"><button id="hold-all" class="deny">Hold fire: all ${esc(partnerName(me))}</button><button id="free-all" class="grant">Weapons free: all ${esc(partnerName(me))}</button></div>
    <table><thead><tr><th>battery</th><th class="num">interceptors</th><th>status</th><th></th></tr></thead><tbody id="batteries"></tbody></table>
    <h2>Other partners' batteries <span class="muted">(as their battery status was released to us)</span></h2>
    <table><tbody id="remote-batteries"></tbody></table>
    <h2>Links</h2>
    <div><table><tbody id="links"></tbody></table><div class="empty">no link to any partner</div></div>
    <h2>Messages <span class="muted">(from partners over the links, and from the white cell)</span></h2>
    <div class="scroll"><table><tbody id="messages"></tbody></table><div class="empty">none</div></div>
    <h2>Orders</h2>
    <fieldset><legend>Engage</legend><div class="row">
      <select id="eng-track"></select><select id="eng-bty"></select><button id="engage">Engage</button></div>
      <div class="muted">feasibility is checked at the next decision cycle; a refusal shows in our log with its reason</div></fieldset>
    <fieldset><legend>Message to a partner (crosses the link if the policy releases messages)</legend><div class="row">
      <select id="msg-to"></select><input id="msg-text" placeholder="message" style="max-width:300px"><button id="msg-send">Send</button></div></fieldset>
    <fieldset><legend>Staff note</legend><div class="row">
      <input id="note-text" placeholder="note for the log" style="max-width:360px"><button id="note">Log</button></div></fieldset>
    <h2>Picture <span class="count" id="track-count"></span></h2>
    <div><table><thead><tr><th>track</th><th class="num">alt km</th><th class="num">speed m/s</th><th class="num">σ m</th><th>threat</th></tr></thead><tbody id="tracks"></tbody></table><div class="empty">no track</div></div>
    <h2>Our engagements in flight</h2>
    <div><table><tbody id="engagements"></tbody></table><div class="empty">none</div></div>
    <h2>Our log</h2>
    <div class="scroll"><table><tbody id="log"></tbody></table><div class="empty">nothing yet</div></div>`;
  const el = (id) => document.getElementById(id);
  let last = null, seenAlerts = -1, selected = null, board = [], rate = 0;

  el("ack-all").onclick = async () => {
    if (!last) return;
    const acked = new Set(last.acked);
    for (const a of last.alerts) if (!acked.has(a.id)) await order({ kind: "note", text: `ack ${a.id}` }, "acknowledge");
  };
  el("hold-all").onclick = () => order({ kind: "hold_fire", partner: me }, "hold fire");
  el("free-all").onclick = () => order({ kind: "weapons_free", partner: me }, "weapons free");
  el("engage").onclick = () => {
    const track = el("eng-track").value, battery = el("eng-bty").value;
    if (!track || !battery) return;
    order({ kind: "engage", battery, track }, `engage ${track} with ${battery}`);
  };
  el("msg-send").onclick = () => {
    const to = el("msg-to").value, text = el("msg-text").value.trim();
    if (to && text) order({ kind: "message", to, text }, `message to ${to}`).then((r) => { if (r) el("msg-text").value = ""; });
  };
  el("note").onclick = () => {
    const text = el("note-text").value.trim();
    if (text) order({ kind: "note", text }, "note").then((r) => { if (r) el("note-text").value = ""; });
  };
  // one delegated handler for every row button: rows come and go, the handler stays
  side.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-act]");
    if (!b || b.disabled) return;
    const { act, id } = b.dataset;
    if (act === "grant" || act === "deny") order({ kind: "consent", question_id: id, granted: act === "grant" }, `${act} ${id}`);
    else if (act === "pause") order({ kind: "note", text: `pause requested: consent ${id}` }, "pause request to the white cell");
    else if (act === "ack") order({ kind: "note", text: `ack ${id}` }, "acknowledge");
    else if (act === "hold") order({ kind: "hold_fire", battery: id }, `hold fire ${id}`);
    else if (act === "free") order({ kind: "weapons_free", battery: id }, `weapons free ${id}`);
    else if (act === "track") { selected = id; el("eng-track").value = id; draw(); }
  });
  side.addEventListener("change", (e) => {
    const sel = e.target.closest("select[data-classify]");
    if (!sel) return;
    // the board's threat id names the threat (the command's "track" field)
    order({ kind: "classify", track: sel.dataset.classify, as: sel.value }, `classify ${sel.dataset.classify} as ${sel.value}`);
  });

  const threatened = (t) => t.threatened.map((a) => `${a.name || a.asset} (${partnerName(a.owner)})`).join(", ");
  const engagedBy = (t) => t.engagements.map((e) => `${e.battery} (${partnerName(e.partner)}) ${e.outcome === "in_flight" ? `intercept ${clockTime(e.intercept_s)}` : e.outcome}`).join("; ");

  function drawBoard(f) {
    keyed(el("board"), board, (t) => t.id,
      () => html(`<tr class="threat"><td><span class="sym"></span> <b data-f="id"></b> <span data-f="class" class="muted"></span><br><span data-f="seen" class="muted"></span></td>
        <td><span class="life" data-f="life"></span><br><span data-f="ttg" class="t"></span></td>
        <td data-f="assets"></td><td><span data-f="eng"></span><span data-f="why" class="muted why"></span></td>
        <td><select data-classify="">${CLASSES.map((c) => `<option>${c}</option>`).join("")}</select></td></tr>`),
      (tr, t) => {
        setAttr(tr, "data-lifecycle", t.lifecycle);
        setAttr(tr, "data-launch", (t.launch || []).join(","));
        tr.firstElementChild.style.borderLeftColor = LIFE_COLOUR[t.lifecycle] || "#999";
        tr.classList.toggle("is-new", Boolean(t.new));
        const code = sidc(t.class, threatAffiliation(t.class, t.classification));
        const sym = tr.querySelector(".sym");
        if (sym.dataset.code !== code) { sym.innerHTML = iconSvg(code, { size: 12 }); sym.dataset.code = code; }
        setText(tr.querySelector("[data-f=id]"), t.id);
        setText(tr.querySelector("[data-f=class]"), t.class);
        setText(tr.querySelector("[data-f=seen]"), `seen ${clockTime(t.first_seen_s)}${t.first_source ? ` by ${partnerName(t.first_source)}` : ""}`);
        setText(tr.querySelector("[data-f=life]"), LIFECYCLE[t.lifecycle] || t.lifecycle);
        setText(tr.querySelector("[data-f=ttg]"), t.time_to_go_s === null || t.time_to_go_s === undefined ? "–"
          : `T-${Math.max(0, t.time_to_go_s).toFixed(0)} s, ${clockTime(t.impact_time_s)}`);
        setText(tr.querySelector("[data-f=assets]"), threatened(t) || "none");
        tr.querySelector("[data-f=assets]").classList.toggle("warn", t.threatened.length > 0);
        setText(tr.querySelector("[data-f=eng]"), engagedBy(t) || "–");
        // why the command post did not engage it at its last decision cycle
        const why = t.decision && !["assigned", "engaged"].includes(t.decision.reason) ? t.decision : null;
        const whyEl = tr.querySelector("[data-f=why]");
        // one line of fixed height whatever it says (the rows below never move under a click)
        setText(whyEl, why ? WHY_SHORT[why.reason] || why.reason : "\u00a0");
        setAttr(whyEl, "title", why ? why.text : "");
        setAttr(whyEl, "data-reason", why ? why.reason : "");
        const sel = tr.querySelector("select");
        sel.dataset.classify = t.id;
        sel.disabled = document.body.classList.contains("ended");
        sel.title = `the staff's classification of ${t.id}`;
        if (document.activeElement !== sel && sel.value !== t.classification) sel.value = t.classification;
      });
    setText(el("threat-count"), `${board.length} open`);
    void f;
  }

  function drawQuestions(f) {
    keyed(el("questions"), f.questions, (q) => q.id,
      (q) => html(`<div class="question" data-id="${esc(q.id)}">
        <div class="q-head"><span data-f="title"></span><span class="deadline" data-f="left"></span></div>
        <div class="q-body" data-f="body"></div>
        <div class="q-actions"><button class="grant" data-act="grant" data-id="${esc(q.id)}">Grant</button>
          <button class="deny" data-act="deny" data-id="${esc(q.id)}">Deny</button>
          <button data-act="pause" data-id="${esc(q.id)}" title="a note to the white cell asking it to pause the clock">Ask white cell to pause</button></div></div>`),
      (div, q) => {
        const t = board.find((x) => (q.threat && x.id === q.threat) || x.tracks.includes(q.track));
        const assets = q.threatened || (t ? t.threatened : []);
        setText(div.querySelector("[data-f=title]"), `${q.id}: fire ${q.battery} at ${t ? t.id : q.track}?`);
        const wall = rate > 0 ? `${(q.remaining_s / rate).toFixed(1)} s wall at ${rate}x` : "clock paused: the deadline waits";
        setText(div.querySelector("[data-f=left]"), `${Math.max(0, q.remaining_s).toFixed(0)} s left (${wall})`);
        div.classList.toggle("late", q.remaining_s <= 0);
        const lines = [
          `Threat: ${t ? `${t.id}, ${t.class}, ${LIFECYCLE[t.lifecycle] || t.lifecycle}` : "–"} (track ${q.track})`,
          `Threatened: ${assets.length ? assets.map((a) => `${a.name || a.asset} (${partnerName(a.owner)})`).join(", ") : "none predicted"}`,
          `Battery: ${q.battery}${q.inventory !== undefined && q.inventory !== null ? `, ${q.inventory} interceptors left` : ""}`,
          `Planned intercept: ${q.intercept_s !== null ? `${fmtT(q.intercept_s)} at ${q.intercept_lat_lon[0].toFixed(2)}, ${q.intercept_lat_lon[1].toFixed(2)}, ${q.intercept_alt_km} km` : "not known"}`,
          `Kill probability: ${killProbability(q, t)}`,
          `Deadline: ${fmtT(q.deadline_s)}; then the policy ${q.default_answer || "grants"}`,
        ];
        const text = lines.join("\n");
        const body = div.querySelector("[data-f=body]");
        if (body.dataset.text !== text) { body.innerHTML = lines.map((l) => `<div>${esc(l)}</div>`).join(""); body.dataset.text = text; }
      });
    setText(el("q-count"), `${f.questions.length} open`);
  }

  function drawAlerts(f) {
    const acked = new Set(f.acked);
    keyed(el("alerts"), f.alerts, (a) => a.id,
      () => html(`<tr class="alert"><td class="t" data-f="t"></td><td data-f="kind"></td><td data-f="what"></td><td data-f="assets"></td>
        <td><button data-act="ack">Ack</button></td></tr>`),
      (tr, a) => {
        const isAcked = acked.has(a.id);
        const urgent = ["new_threat", "impact"].includes(a.kind);
        setAttr(tr, "data-id", a.id);
        setAttr(tr, "data-kind", a.kind);
        tr.classList.toggle("acked", isAcked);
        tr.classList.toggle("new", !isAcked && urgent);
        setText(tr.querySelector("[data-f=t]"), fmtT(a.time_s));
        setText(tr.querySelector("[data-f=kind]"), ALERT_KIND[a.kind] || a.kind);
        const from = a.from && a.from !== me ? ` (from ${partnerName(a.from)})` : "";
        setText(tr.querySelector("[data-f=what]"), `${a.threat || a.track || ""}${a.change ? `: ${a.change}` : ""}${from}`);
        setText(tr.querySelector("[data-f=assets]"), (a.assets || []).map((x) => (assetsById[x] || {}).name || x).join(", "));
        const b = tr.querySelector("button");
        b.dataset.id = a.id;
        b.disabled = isAcked || document.body.classList.contains("ended");
        setText(b, isAcked ? "acked" : "Ack");
      });
    setText(el("alert-count"), `${f.alert_count} received`);
  }

  function drawBatteries(f) {
    keyed(el("batteries"), f.batteries, (b) => b.id,
      () => html(`<tr class="battery"><td data-f="id"></td><td class="num" data-f="inv"></td><td data-f="status"></td><td><button></button></td></tr>`),
      (tr, b) => {
        setText(tr.querySelector("[data-f=id]"), b.id);
        setText(tr.querySelector("[data-f=inv]"), b.inventory);
        const st = tr.querySelector("[data-f=status]");
        setText(st, b.held ? "HOLD FIRE" : "weapons free");
        st.classList.toggle("held", b.held);
        const btn = tr.querySelector("button");
        btn.dataset.id = b.id;
        btn.dataset.act = b.held ? "free" : "hold";
        btn.className = b.held ? "grant" : "deny";
        setText(btn, b.held ? "Weapons free" : "Hold fire");
      });
    const remote = f.remote_batteries || [];
    const rows = (setup.partners || []).filter((p) => p.id !== me).flatMap((p) => {
      const mine = remote.filter((b) => b.partner === p.id);
      return mine.length ? mine.map((b) => ({ key: b.id, ...b })) : [{ key: `p:${p.id}`, partner: p.id, none: true }];
    });
    keyed(el("remote-batteries"), rows, (r) => r.key,
      () => html(`<tr><td data-f="id"></td><td data-f="inv"></td><td data-f="ready"></td><td class="muted" data-f="asof"></td></tr>`),
      (tr, r) => {
        tr.className = r.none ? "remote-partner" : "remote-battery";
        setAttr(tr, r.none ? "data-partner" : "data-id", r.none ? r.partner : r.id);
        setText(tr.querySelector("[data-f=id]"), r.none ? partnerName(r.partner) : `${partnerName(r.partner)}: ${r.id}`);
        setText(tr.querySelector("[data-f=inv]"), r.none ? "not released" : r.inventory === null ? "–" : `${r.inventory} interceptors`);
        setText(tr.querySelector("[data-f=ready]"), r.none ? "" : r.ready === null ? "–" : r.ready ? "ready" : "not ready");
        setText(tr.querySelector("[data-f=asof]"), r.none || r.as_of_s === null ? "" : `as of ${fmtT(r.as_of_s)}`);
      });
  }

  function drawLists(f) {
    keyed(el("links"), f.links || [], (l) => l.id,
      () => html(`<tr class="link"><td data-f="id"></td><td data-f="to"></td><td data-f="st"></td></tr>`),
      (tr, l) => {
        setAttr(tr, "data-id", l.id);
        setAttr(tr, "data-up", l.up);
        setText(tr.querySelector("[data-f=id]"), l.id);
        setText(tr.querySelector("[data-f=to]"), `to ${partnerName(l.to)}`);
        const st = tr.querySelector("[data-f=st]");
        setText(st, `${l.up ? "UP" : "DOWN"}${l.since_s !== null ? ` since ${fmtT(l.since_s)}` : ""}`);
        st.classList.toggle("warn", !l.up);
      });
    const messages = f.messages || [];
    keyed(el("messages"), messages, (m) => `${m.time_s}|${m.from}|${m.text}`,
      () => html(`<tr class="message"><td class="t" data-f="t"></td><td data-f="from"></td><td data-f="text"></td></tr>`),
      (tr, m) => {
        setText(tr.querySelector("[data-f=t]"), fmtT(m.time_s));
        setText(tr.querySelector("[data-f=from]"), m.from === "white" ? "WHITE CELL" : partnerName(m.from));
        setText(tr.querySelector("[data-f=text]"), m.text);
        tr.classList.toggle("warn", m.from === "white");
      });
    keyed(el("tracks"), f.tracks, (t) => t.id,
      () => html(`<tr class="track"><td><button data-act="track"></button></td><td class="num" data-f="alt"></td><td class="num" data-f="v"></td><td class="num" data-f="s"></td><td data-f="threat"></td></tr>`),
      (tr, t) => {
        tr.classList.toggle("sel", t.id === selected);
        const b = tr.querySelector("button");
        b.dataset.id = t.id;
        setText(b, t.id);
        setText(tr.querySelector("[data-f=alt]"), t.alt_km);
        setText(tr.querySelector("[data-f=v]"), t.speed_mps);
        setText(tr.querySelector("[data-f=s]"), t.sigma_m);
        const th = board.find((x) => x.tracks.includes(t.id));
        setText(tr.querySelector("[data-f=threat]"), `${th ? `${th.id} ${th.classification !== "unknown" ? th.classification : ""}` : ""}${t.own ? "" : " (partner's track)"}`);
      });
    setText(el("track-count"), `${f.tracks.length} tracks at ${fmtT(f.picture_time_s)}`);
    keyed(el("engagements"), f.engagements, (e) => e.id,
      () => html(`<tr><td data-f="b"></td><td data-f="tr"></td><td data-f="l"></td><td data-f="i"></td></tr>`),
      (tr, e) => {
        setText(tr.querySelector("[data-f=b]"), `${e.battery} (${e.shots} shot${e.shots > 1 ? "s" : ""})`);
        setText(tr.querySelector("[data-f=tr]"), e.track);
        setText(tr.querySelector("[data-f=l]"), `launched ${clockTime(e.launch_s)}`);
        setText(tr.querySelector("[data-f=i]"), `intercept ${clockTime(e.intercept_s)}`);
      });
    keyed(el("log"), f.log, (r) => `${r.time_s}|${r.kind}|${r.target}|${r.text}`,
      () => html(`<tr><td class="t" data-f="t"></td><td data-f="k"></td><td data-f="g"></td><td data-f="x"></td></tr>`),
      (tr, r) => {
        setText(tr.querySelector("[data-f=t]"), fmtT(r.time_s));
        const k = tr.querySelector("[data-f=k]");
        setText(k, r.kind.replace(/_/g, " "));
        k.classList.toggle("warn", r.kind.endsWith("rejected"));
        setText(tr.querySelector("[data-f=g]"), r.target || "");
        setText(tr.querySelector("[data-f=x]"), r.text);
      });
  }

  function draw() {
    if (!last) return;
    const byTrack = new Map();
    for (const t of board) for (const id of t.tracks) byTrack.set(id, t);
    const tracks = last.tracks.map((t) => {
      const th = byTrack.get(t.id);
      return { ...t, class: th ? th.class : "unknown", classification: th ? th.classification : (last.classified[t.id] || "unknown") };
    });
    const threatened = board.flatMap((t) => t.threatened.map((a) => a.asset));
    map.render({ tracks, threats: board, engagements: last.engagements, threatened, selected });
  }

  return {
    rewound() { seenAlerts = -1; selected = null; },  // the clock jumped back: alerts count anew
    pick({ hit }) {
      if (hit && last && last.tracks.some((t) => t.id === hit)) { selected = hit; el("eng-track").value = hit; draw(); }
    },
    frame(f) {
      last = f;
      rate = f.clock && f.clock.running ? f.clock.rate : 0;
      board = [...f.threats].sort(byTimeToGo);
      if (seenAlerts >= 0 && f.alert_count > seenAlerts) beep();
      seenAlerts = f.alert_count;
      const acked = new Set(f.acked);
      const unacked = f.alerts.filter((a) => !acked.has(a.id) && a.kind === "new_threat").length;
      el("alarm").hidden = unacked === 0;
      setText(el("alarm"), `${unacked} NEW THREAT${unacked > 1 ? "S" : ""}: acknowledge`);
      drawQuestions(f);
      drawBoard(f);
      drawAlerts(f);
      drawBatteries(f);
      drawLists(f);
      const trackOpts = f.tracks.map((t) => [t.id, `${t.id} (${t.alt_km} km)`]);
      selectKeep(el("eng-track"), trackOpts, "track…");
      selectKeep(el("eng-bty"), f.batteries.map((b) => [b.id, `${b.id} (${b.inventory})`]), "battery…");
      selectKeep(el("msg-to"), (setup.partners || []).filter((p) => p.id !== me).map((p) => [p.id, p.name || p.id]), "to…");
      draw();
    },
  };
}
