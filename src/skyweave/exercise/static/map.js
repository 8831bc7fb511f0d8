// The staff map: a plain <canvas>, local equirectangular projection, offline.
// It draws what the console gives it; it decides nothing.

const M_PER_DEG = 111195.0;

export class StaffMap {
  constructor(canvas, setup, onPick) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.setup = setup;
    this.onPick = onPick;
    const b = setup.bounds;
    this.lon0 = 0.5 * (b.lon_min + b.lon_max);
    this.lat0 = 0.5 * (b.lat_min + b.lat_max);
    this.kx = Math.cos((this.lat0 * Math.PI) / 180);
    this.centre = [0, this.lat0];
    this.zoom = 1;
    this.layers = null;
    this.hits = [];
    this.colors = Object.fromEntries(setup.partners.map((p) => [p.id, p.color]));
    new ResizeObserver(() => this.draw()).observe(canvas);
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      const f = e.deltaY < 0 ? 1.25 : 0.8;
      const [lon, lat] = this.unproject(e.offsetX, e.offsetY);
      this.zoom = Math.min(Math.max(this.zoom * f, 0.5), 40);
      const [x2, y2] = this.project(lon, lat);
      this.centre[0] += (x2 - e.offsetX) / this.scale;
      this.centre[1] -= (y2 - e.offsetY) / this.scale;
      this.draw();
    }, { passive: false });
    let drag = null;
    canvas.addEventListener("mousedown", (e) => { drag = { x: e.offsetX, y: e.offsetY, moved: false }; });
    canvas.addEventListener("mousemove", (e) => {
      if (!drag) return;
      const dx = e.offsetX - drag.x, dy = e.offsetY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.moved) {
        this.centre[0] -= dx / this.scale;
        this.centre[1] += dy / this.scale;
        drag.x = e.offsetX; drag.y = e.offsetY;
        this.draw();
      }
    });
    canvas.addEventListener("mouseup", (e) => {
      const moved = drag && drag.moved;
      drag = null;
      if (moved || !this.onPick) return;
      const [lon, lat] = this.unproject(e.offsetX, e.offsetY);
      const hit = this.hits.find((h) => Math.hypot(h.x - e.offsetX, h.y - e.offsetY) < 9);
      this.onPick({ lat, lon, hit: hit ? hit.id : null });
    });
  }

  fit() {
    const b = this.setup.bounds;
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    const sx = w / ((b.lon_max - b.lon_min) * this.kx), sy = h / (b.lat_max - b.lat_min);
    return Math.min(sx, sy) * this.zoom;
  }

  project(lon, lat) {
    const x = (lon - this.lon0) * this.kx;
    return [
      this.w / 2 + (x - this.centre[0]) * this.scale,
      this.h / 2 - (lat - this.centre[1]) * this.scale,
    ];
  }

  unproject(px, py) {
    const x = (px - this.w / 2) / this.scale + this.centre[0];
    const lat = this.centre[1] - (py - this.h / 2) / this.scale;
    return [x / this.kx + this.lon0, lat];
  }

  metres(m) { return (m / M_PER_DEG) * this.scale; }

  render(layers) { this.layers = layers; this.draw(); }

  draw() {
    const c = this.canvas, ctx = this.ctx;
    const dpr = window.devicePixelRatio || 1;
    this.w = c.clientWidth; this.h = c.clientHeight;
    if (!this.w || !this.h) return;
    if (c.width !== Math.round(this.w * dpr) || c.height !== Math.round(this.h * dpr)) {
      c.width = Math.round(this.w * dpr); c.height = Math.round(this.h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.scale = this.fit();
    this.hits = [];
    this.boxes = [];
    ctx.fillStyle = "#cfe3f0";
    ctx.fillRect(0, 0, this.w, this.h);
    this.graticule();
    this.lines(this.setup.coast, "#4d6b4d", 1.2, "#e9efe0");
    this.lines(this.setup.border, "#8a7a9a", 0.8, null, [4, 3]);
    this.sites();
    const L = this.layers;
    if (L) {
      (L.threats || []).forEach((t) => this.threat(t));
      (L.engagements || []).forEach((e) => this.engagement(e));
      (L.tracks || []).forEach((t) => this.track(t, L.selected));
      (L.objects || []).forEach((o) => this.object(o));
      (L.marks || []).forEach((m) => this.mark(m));
    }
    this.scaleBar();
  }

  graticule() {
    const ctx = this.ctx;
    const [lonA, latA] = this.unproject(0, this.h), [lonB, latB] = this.unproject(this.w, 0);
    const step = this.scale > 120 ? 1 : this.scale > 40 ? 2 : 5;
    ctx.strokeStyle = "rgba(60,90,120,0.18)"; ctx.lineWidth = 1;
    ctx.fillStyle = "rgba(40,60,90,0.6)"; ctx.font = "10px sans-serif";
    for (let lon = Math.ceil(lonA / step) * step; lon <= lonB; lon += step) {
      const [x] = this.project(lon, latA);
      ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, this.h); ctx.stroke();
      ctx.fillText(`${lon}°`, x + 2, this.h - 4);
    }
    for (let lat = Math.ceil(latA / step) * step; lat <= latB; lat += step) {
      const [, y] = this.project(lonA, lat);
      ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(this.w, y); ctx.stroke();
      ctx.fillText(`${lat}°`, 2, y - 2);
    }
  }

  lines(polylines, stroke, width, fill, dash) {
    if (!polylines || !polylines.length) return;
    const ctx = this.ctx;
    ctx.save();
    ctx.setLineDash(dash || []);
    ctx.strokeStyle = stroke; ctx.lineWidth = width;
    for (const line of polylines) {
      ctx.beginPath();
      line.forEach(([lon, lat], k) => {
        const [x, y] = this.project(lon, lat);
        if (k === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      const [a, b] = [line[0], line[line.length - 1]];
      if (fill && a[0] === b[0] && a[1] === b[1]) { ctx.fillStyle = fill; ctx.fill(); }
      ctx.stroke();
    }
    ctx.restore();
  }

  sites() {
    const ctx = this.ctx, S = this.setup;
    for (const s of S.sensors) {
      if (s.type !== "radar") continue;
      const [x, y] = this.project(s.lon, s.lat);
      const r = this.metres(s.max_range_km * 1e3);
      const a0 = ((s.boresight_deg - s.half_width_deg - 90) * Math.PI) / 180;
      const a1 = ((s.boresight_deg + s.half_width_deg - 90) * Math.PI) / 180;
      ctx.beginPath(); ctx.moveTo(x, y); ctx.arc(x, y, r, a0, a1); ctx.closePath();
      ctx.fillStyle = this.alpha(s.partner, s.role === "fire_control" ? 0.10 : 0.05);
      ctx.strokeStyle = this.alpha(s.partner, 0.35); ctx.lineWidth = 1;
      ctx.fill(); ctx.stroke();
      ctx.fillStyle = this.colors[s.partner] || "#444";
      ctx.beginPath(); ctx.moveTo(x, y - 6); ctx.lineTo(x - 5, y + 4); ctx.lineTo(x + 5, y + 4); ctx.closePath(); ctx.fill();
      this.label(s.id, x + 6, y + 10, "#335");
    }
    for (const b of S.batteries) {
      const [x, y] = this.project(b.lon, b.lat);
      ctx.setLineDash([5, 4]);
      ctx.strokeStyle = this.alpha(b.partner, 0.7); ctx.lineWidth = 1.2;
      ctx.beginPath(); ctx.arc(x, y, this.metres(b.max_range_km * 1e3), 0, 2 * Math.PI); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = this.colors[b.partner] || "#444";
      ctx.fillRect(x - 5, y - 5, 10, 10);
      this.hits.push({ x, y, id: b.id });
      this.label(b.id, x + 7, y - 6, "#222");
    }
    const threatened = new Set(((this.layers && this.layers.threatened) || []));
    for (const a of S.assets) {
      const [x, y] = this.project(a.lon, a.lat);
      const hot = threatened.has(a.id);
      ctx.beginPath(); ctx.arc(x, y, hot ? 8 : 6, 0, 2 * Math.PI);
      ctx.fillStyle = hot ? "#ff2a2a" : "#fff"; ctx.fill();
      ctx.lineWidth = 2; ctx.strokeStyle = this.colors[a.partner] || "#333"; ctx.stroke();
      this.label(a.name || a.id, x + 9, y + 4, hot ? "#b00000" : "#222", hot);
    }
    for (const p of S.partners) {
      if (!p.command_post) continue;
      const [x, y] = this.project(p.command_post[1], p.command_post[0]);
      ctx.fillStyle = p.color; ctx.beginPath();
      ctx.moveTo(x, y - 7); ctx.lineTo(x + 7, y); ctx.lineTo(x, y + 7); ctx.lineTo(x - 7, y); ctx.closePath(); ctx.fill();
    }
  }

  threat(t) {
    const ctx = this.ctx;
    if (t.launch && t.launch[0] !== null) {
      const [x, y] = this.project(t.launch[1], t.launch[0]);
      ctx.strokeStyle = "#c00"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(x - 6, y - 6); ctx.lineTo(x + 6, y + 6); ctx.moveTo(x + 6, y - 6); ctx.lineTo(x - 6, y + 6); ctx.stroke();
      this.label(`launch ${t.id}`, x + 8, y + 12, "#900");
    }
    if (t.impact && t.impact[0] !== null) {
      const [x, y] = this.project(t.impact[1], t.impact[0]);
      const [a, b, orient] = t.ellipse_m;
      if (a && b) {
        ctx.beginPath();
        ctx.ellipse(x, y, Math.max(this.metres(a), 3), Math.max(this.metres(b), 2), ((orient - 90) * Math.PI) / 180, 0, 2 * Math.PI);
        ctx.fillStyle = "rgba(255,80,0,0.22)"; ctx.fill();
        ctx.strokeStyle = "#d04000"; ctx.lineWidth = 1.5; ctx.stroke();
      }
      ctx.fillStyle = "#d04000"; ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill();
      const tti = t.time_to_impact_s !== null ? ` T-${Math.max(0, t.time_to_impact_s).toFixed(0)}s` : "";
      this.label(`impact ${t.key}${tti}`, x + 8, y - 6, "#a03000");
    }
  }

  engagement(e) {
    if (!e.intercept || e.intercept[0] === null) return;
    const ctx = this.ctx;
    const b = this.setup.batteries.find((q) => q.id === e.battery);
    const [x, y] = this.project(e.intercept[1], e.intercept[0]);
    if (b) {
      const [bx, by] = this.project(b.lon, b.lat);
      ctx.setLineDash([2, 3]); ctx.strokeStyle = "#0a7a2a"; ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.moveTo(bx, by); ctx.lineTo(x, y); ctx.stroke(); ctx.setLineDash([]);
    }
    ctx.strokeStyle = "#0a7a2a"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(x, y, 6, 0, 2 * Math.PI); ctx.moveTo(x - 9, y); ctx.lineTo(x + 9, y); ctx.moveTo(x, y - 9); ctx.lineTo(x, y + 9); ctx.stroke();
  }

  track(t, selected) {
    if (t.lat === null) return;
    const ctx = this.ctx;
    const [x, y] = this.project(t.lon, t.lat);
    const r = Math.max(this.metres(2 * t.sigma_m || 0), 0);
    if (r > 2) {
      ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fillStyle = "rgba(200,0,120,0.12)"; ctx.fill();
    }
    const lead = this.metres((t.speed_mps || 0) * 60);
    const hd = ((t.heading_deg || 0) * Math.PI) / 180;
    ctx.strokeStyle = "#a0006a"; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + lead * Math.sin(hd), y - lead * Math.cos(hd)); ctx.stroke();
    const sel = selected && selected === t.id;
    ctx.fillStyle = t.own === false ? "#fff" : "#a0006a";
    ctx.strokeStyle = "#a0006a"; ctx.lineWidth = sel ? 3 : 1.5;
    ctx.beginPath(); ctx.arc(x, y, sel ? 7 : 5, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    this.hits.push({ x, y, id: t.id });
    this.label(`${t.id}  ${t.alt_km} km`, x + 7, y - 6, "#700050", sel);
  }

  object(o) {
    if (o.lat === null) return;
    const ctx = this.ctx;
    const [x, y] = this.project(o.lon, o.lat);
    const colour = { ballistic: "#d00000", cruise: "#e07000", aircraft: "#6a3d9a" }[o.kind] || "#000";
    const lead = this.metres((o.speed_mps || 0) * 60);
    const hd = ((o.heading_deg || 0) * Math.PI) / 180;
    ctx.strokeStyle = colour; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + lead * Math.sin(hd), y - lead * Math.cos(hd)); ctx.stroke();
    ctx.fillStyle = colour;
    ctx.beginPath(); ctx.moveTo(x, y - 7); ctx.lineTo(x + 6, y + 5); ctx.lineTo(x - 6, y + 5); ctx.closePath(); ctx.fill();
    this.hits.push({ x, y, id: o.id });
    this.label(`${o.id}${o.accidental ? " (accidental)" : ""}  ${o.alt_km} km`, x + 8, y + 4, colour);
  }

  mark(m) {
    const ctx = this.ctx;
    const [x, y] = this.project(m.lon, m.lat);
    ctx.strokeStyle = m.color || "#000"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(x, y, 8, 0, 2 * Math.PI); ctx.stroke();
    ctx.beginPath(); ctx.arc(x, y, 2, 0, 2 * Math.PI); ctx.fillStyle = m.color || "#000"; ctx.fill();
    this.label(m.text, x + 10, y - 8, m.color || "#000", true);
  }

  scaleBar() {
    const ctx = this.ctx;
    const km = [50, 100, 200, 500, 1000].find((k) => this.metres(k * 1e3) > 60) || 1000;
    const px = this.metres(km * 1e3);
    const x = this.w - px - 16, y = this.h - 14;
    ctx.strokeStyle = "#222"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + px, y); ctx.moveTo(x, y - 4); ctx.lineTo(x, y + 2); ctx.moveTo(x + px, y - 4); ctx.lineTo(x + px, y + 2); ctx.stroke();
    this.label(`${km} km`, x + px / 2 - 14, y - 6, "#222");
  }

  label(text, x, y, colour, bold) {
    const ctx = this.ctx;
    ctx.font = `${bold ? "bold " : ""}11px sans-serif`;
    // Labels that would overlap one already drawn move down a line (a few times at most).
    const w = ctx.measureText(text).width;
    for (let k = 0; k < 4 && this.boxes.some((b) => x < b[0] + b[2] && b[0] < x + w && y - 10 < b[1] && b[1] - 10 < y); k++) y += 12;
    this.boxes.push([x, y, w]);
    ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.85)";
    ctx.strokeText(text, x, y);
    ctx.fillStyle = colour; ctx.fillText(text, x, y);
  }

  alpha(partner, a) {
    const hex = (this.colors[partner] || "#555555").replace("#", "");
    const n = parseInt(hex.length === 3 ? hex.split("").map((c) => c + c).join("") : hex, 16);
    return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
  }
}
