// The range and bearing tool: click a first point, move, click a second; the great-circle
// distance and the initial bearing (true) show in the readout. A third click starts again.

const R_EARTH_M = 6_371_000;
const rad = (d) => (d * Math.PI) / 180;

/** Great-circle distance (m) and initial bearing (degrees true) from a to b ({lng, lat}). */
export function rangeBearing(a, b) {
  const [p1, p2, dl] = [rad(a.lat), rad(b.lat), rad(b.lng - a.lng)];
  const h = Math.sin((p2 - p1) / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
  const range = 2 * R_EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
  const y = Math.sin(dl) * Math.cos(p2);
  const x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(dl);
  const bearing = ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
  return { range_m: range, bearing_deg: bearing };
}

export class RangeBearing {
  constructor(map) {
    this.map = map;
    this.active = false;
    this.a = null;
    this.b = null;
    this.fixed = false;
    this.readout = document.createElement("div");
    this.readout.className = "ruler-readout";
    this.readout.hidden = true;
    map.getContainer().appendChild(this.readout);
    map.on("mousemove", (e) => { if (this.active && this.a && !this.fixed) { this.b = e.lngLat; this.show(); } });
  }

  setActive(on) {
    this.active = on;
    this.a = this.b = null;
    this.fixed = false;
    this.map.getCanvas().style.cursor = on ? "crosshair" : "";
    this.show();
  }

  click(lngLat) {
    if (!this.a || this.fixed) { this.a = lngLat; this.b = null; this.fixed = false; }
    else { this.b = lngLat; this.fixed = true; }
    this.show();
  }

  show() {
    const src = this.map.getSource("ruler");
    const features = this.a && this.b ? [{ type: "Feature", geometry: { type: "LineString", coordinates: [[this.a.lng, this.a.lat], [this.b.lng, this.b.lat]] }, properties: {} }] : [];
    if (src) src.setData({ type: "FeatureCollection", features });
    this.readout.hidden = !this.active;
    if (!this.active) return;
    if (!this.a) { this.readout.textContent = "range and bearing: click the first point"; return; }
    if (!this.b) { this.readout.textContent = "range and bearing: click the second point"; return; }
    const { range_m, bearing_deg } = rangeBearing(this.a, this.b);
    this.readout.textContent = `${(range_m / 1000).toFixed(1)} km, bearing ${bearing_deg.toFixed(0).padStart(3, "0")}° true`
      + `  (${this.a.lat.toFixed(2)}, ${this.a.lng.toFixed(2)} → ${this.b.lat.toFixed(2)}, ${this.b.lng.toFixed(2)})`;
    this.readout.dataset.rangeKm = (range_m / 1000).toFixed(1);
    this.readout.dataset.bearingDeg = bearing_deg.toFixed(1);
  }
}
