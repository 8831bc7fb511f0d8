// Map labels as HTML (the map loads no glyphs), placed so that no two overlap and none
// covers a symbol: the most important first, each at the first free spot of a few around
// its point; a label with no free spot is hidden until zooming in makes room.

const FONT_PX = 11;
const LINE_PX = 15;
const SYMBOL_HALF_PX = 11;   // the box a symbol occupies around its point
const GAP_PX = 3;

function overlaps(a, boxes) {
  for (const b of boxes) if (a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]) return true;
  return false;
}

export class LabelLayer {
  constructor(map, container, graticule) {
    this.map = map;
    this.graticule = graticule;
    this.root = document.createElement("div");
    this.root.className = "map-labels";
    container.appendChild(this.root);
    this.items = [];
    this.symbols = [];
    this.nodes = new Map();      // label id -> element, kept and moved (never rebuilt)
    this.widths = new Map();     // text|class -> measured width
    this.measure = document.createElement("canvas").getContext("2d");
    this.pending = false;
    for (const ev of ["move", "resize"]) map.on(ev, () => this.schedule());
  }

  /** The labels to place ({id, lon, lat, text, priority, cls}) and the symbols to avoid. */
  set(items, symbols) {
    this.items = items;
    this.symbols = symbols;
    this.schedule();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.place(); });
  }

  width(text, cls) {
    const key = `${cls}|${text}`;
    let w = this.widths.get(key);
    if (w === undefined) {
      this.measure.font = `${cls === "hot" || cls === "sel" ? "bold " : ""}${FONT_PX}px system-ui, "DejaVu Sans", sans-serif`;
      w = Math.ceil(this.measure.measureText(text).width) + 6;
      this.widths.set(key, w);
    }
    return w;
  }

  /** Boxes of the panels over the map (tools, legend, zoom buttons): no label goes under one. */
  panels() {
    const origin = this.root.getBoundingClientRect();
    const out = [];
    for (const el of this.root.parentElement.parentElement.querySelectorAll("#map-tools, .maplibregl-ctrl-bottom-right, .ruler-readout")) {
      if (el.hidden) continue;
      const r = el.getBoundingClientRect();
      if (r.width && r.height) out.push([r.left - origin.left, r.top - origin.top, r.right - origin.left, r.bottom - origin.top]);
    }
    return out;
  }

  graticuleLabels(w, h) {
    const out = [];
    for (const f of this.graticule.features) {
      const a = f.geometry.coordinates[0];
      if (f.properties.kind === "meridian") {
        const p = this.map.project([a[0], this.map.unproject([0, h - 8]).lat]);
        if (p.x > 30 && p.x < w - 30) out.push({ id: `grid:${f.properties.label}`, text: f.properties.label, cls: "grid", fixed: [p.x + 2, h - LINE_PX - 2] });
      } else {
        const p = this.map.project([this.map.unproject([4, 0]).lng, a[1]]);
        if (p.y > 20 && p.y < h - 40) out.push({ id: `grid:${f.properties.label}`, text: f.properties.label, cls: "grid", fixed: [2, p.y - LINE_PX] });
      }
    }
    return out;
  }

  place() {
    const map = this.map;
    const canvas = map.getCanvas();
    const w = canvas.clientWidth, h = canvas.clientHeight;
    const occupied = this.panels();
    for (const s of this.symbols) {
      const p = map.project(s.geometry.coordinates);
      occupied.push([p.x - SYMBOL_HALF_PX, p.y - SYMBOL_HALF_PX, p.x + SYMBOL_HALF_PX, p.y + SYMBOL_HALF_PX]);
    }
    const items = [...this.items].sort((a, b) => a.priority - b.priority);
    items.push(...this.graticuleLabels(w, h));
    const shown = new Set();
    for (const item of items) {
      const tw = this.width(item.text, item.cls), th = LINE_PX;
      let spots;
      if (item.fixed) spots = [item.fixed];
      else {
        const p = map.project([item.lon, item.lat]);
        const r = SYMBOL_HALF_PX + GAP_PX;
        spots = [
          [p.x + r, p.y - th / 2], [p.x - r - tw, p.y - th / 2],
          [p.x - tw / 2, p.y - r - th], [p.x - tw / 2, p.y + r],
          [p.x + r, p.y - th / 2 - th], [p.x + r, p.y + th / 2],
          [p.x - r - tw, p.y - th / 2 - th], [p.x - r - tw, p.y + th / 2],
        ];
      }
      const spot = spots.find(([x, y]) => x >= 0 && y >= 0 && x + tw <= w && y + th <= h && !overlaps([x, y, x + tw, y + th], occupied));
      if (!spot) continue;
      occupied.push([spot[0], spot[1], spot[0] + tw, spot[1] + th]);
      shown.add(item.id);
      let node = this.nodes.get(item.id);
      if (!node) {
        node = document.createElement("div");
        node.dataset.id = item.id;
        this.root.appendChild(node);
        this.nodes.set(item.id, node);
      }
      const cls = `map-label ${item.cls || ""}`;
      if (node.className !== cls) node.className = cls;
      if (node.textContent !== item.text) node.textContent = item.text;
      node.style.transform = `translate(${Math.round(spot[0])}px, ${Math.round(spot[1])}px)`;
      node.style.width = `${tw}px`;
      node.hidden = false;
    }
    for (const [id, node] of this.nodes) {
      if (shown.has(id)) continue;
      if (this.items.some((i) => i.id === id)) node.hidden = true;   // crowded out for now
      else { node.remove(); this.nodes.delete(id); }
    }
  }
}
