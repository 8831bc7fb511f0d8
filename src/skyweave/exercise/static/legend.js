// The map legend: every mark the map can draw, with the symbol it is drawn with.

import { esc } from "./app.js";
import { iconSvg, markImg, MARKS, sidc } from "./symbols.js";

const swatch = (style) => `<i class="swatch" style="${style}"></i>`;

/** The legend for a seat (a partner sees tracks; the white cell and observer the truth). */
export function legendHtml(setup) {
  const partner = setup.role === "partner";
  const row = (icon, text) => `<div class="lg"><span class="lg-icon">${icon}</span><span>${esc(text)}</span></div>`;
  const rows = [];
  rows.push(`<div class="lg-title">Threats (APP-6, air)</div>`);
  rows.push(row(iconSvg(sidc("ballistic", "H")), "hostile ballistic missile"));
  rows.push(row(iconSvg(sidc("cruise", "H")), "hostile cruise missile"));
  rows.push(row(iconSvg(sidc("aircraft", "H")), "hostile aircraft"));
  rows.push(row(iconSvg(sidc("ballistic", "S")), partner ? "suspect: classified accidental" : "suspect: the accidental launch"));
  if (partner) {
    rows.push(row(iconSvg(sidc("unknown", "U")), "unknown: class not yet known"));
    rows.push(row(iconSvg(sidc("ballistic", "H"), { hollow: true }), "hollow: held only by a partner's released track"));
    rows.push(row(swatch("background:rgba(160,0,106,.25);border-radius:50%"), "2σ position uncertainty"));
  } else {
    rows.push(row(iconSvg(sidc("interceptor", "F")), "interceptor in flight"));
  }
  rows.push(row(swatch(`height:2px;background:${partner ? "#a0006a" : "#c00000"}`), "speed vector: one minute ahead"));
  rows.push(row(swatch(`height:0;border-top:2px dashed ${partner ? "#a0006a" : "#c00000"}`), "history trail"));
  rows.push(row(markImg("launch"), MARKS.launch.label));
  rows.push(row(markImg("impact"), "predicted impact point"));
  rows.push(row(swatch("background:rgba(255,80,0,.25);border:1.5px solid #d04000;border-radius:50%"), "95 % impact ellipse"));
  const threats = rows.splice(0);
  rows.push(`<div class="lg-title">Coalition (friend)</div>`);
  rows.push(row(iconSvg(sidc("battery", "F")), "interceptor battery"));
  rows.push(row(swatch("height:0;border-top:2px dashed #555"), "battery maximum range (partner colour)"));
  rows.push(row(iconSvg(sidc("radar", "F")), "radar; shaded sector: its coverage"));
  rows.push(row(iconSvg(sidc("command_post", "F")), "command post"));
  rows.push(row(iconSvg(sidc("air_base", "F")), "defended air base"));
  rows.push(row(iconSvg(sidc("port", "F")), "defended port"));
  rows.push(row(iconSvg(sidc("asset", "F")), "other defended asset"));
  rows.push(row(iconSvg(sidc("asset", "F"), { hot: true }), "red outline: asset threatened now"));
  rows.push(row(markImg("intercept"), "planned intercept; dashed green: from its battery"));
  rows.push(row(markImg("pick"), MARKS.pick.label));
  rows.push(`<div class="lg-title">Partners (coverage, range rings)</div>`);
  rows.push(setup.partners.map((p) => `<span class="lg-partner">${swatch(`background:${esc(p.color)}`)}${esc(p.name)}</span>`).join(" "));
  return `<details open><summary>Legend</summary><div class="lg-grid">${threats.join("")}${rows.join("")}</div></details>`;
}
