// APP-6 / MIL-STD-2525C symbols (milsymbol, from the npm registry) and the map's plain marks.
// One place says which symbol code stands for what, so the map and the legend agree.

/* global ms */

// 15-character letter SIDCs: scheme, affiliation, dimension, status, function id, modifiers.
const FUNCTION = {
  ballistic: "A-WMB---",   // air track: ballistic missile
  cruise: "A-WMCM--",      // air track: cruise missile
  aircraft: "A-MF----",    // air track: military fixed wing
  unknown: "A-------",     // air track, function not known
  interceptor: "A-WMSA--", // air track: surface-to-air missile
  battery: "G-UCDM--",     // land unit: air defence, missile
  radar: "G-ESR---",       // land equipment: radar
  command_post: "G-U-----",// land unit, headquarters (modifier A below)
  asset: "G-I-----",       // land installation
  air_base: "G-IBA---",    // installation: airport / air base
  port: "G-IBN---",        // installation: naval base / port
};
const MODIFIER = { command_post: "A-", asset: "H-", air_base: "H-", port: "H-" };

/** The SIDC of a thing of ``kind`` with affiliation ``aff``: F friend, H hostile, S suspect, U unknown. */
export function sidc(kind, aff) {
  const fn = FUNCTION[kind] || FUNCTION.unknown;
  const code = `S${aff}${fn[0]}P${fn.slice(2)}${MODIFIER[kind] || "--"}`;
  return code.padEnd(15, "-");
}

/** The symbol kind of a defended asset, from its name (an air base, a port, else an installation). */
export function assetKind(asset) {
  const name = `${asset.name || ""} ${asset.id}`.toLowerCase();
  if (name.includes("air base") || name.includes("airbase") || name.includes("base-")) return "air_base";
  if (name.includes("port")) return "port";
  return "asset";
}

/** Affiliation of a threat as its staff classified it: accidental is suspect, unknown class is
 *  unknown, everything else hostile (a missile towards a defended asset). */
export function threatAffiliation(threatClass, classification) {
  if (classification === "accidental") return "S";
  if (!threatClass || threatClass === "unknown") return "U";
  return "H";
}

const SIZE = 16;

/** Icon id for the map: "ms:<sidc>[:hollow][:hot]". */
export function iconId(code, opts = {}) {
  return `ms:${code}${opts.hollow ? ":hollow" : ""}${opts.hot ? ":hot" : ""}`;
}

/** A canvas for an icon id (milsymbol draws it; ``hot`` adds a red outline, ``hollow`` no fill). */
export function iconCanvas(id) {
  if (id.startsWith("mk:")) return markCanvas(id.slice(3));
  const [, code, ...flags] = id.split(":");
  const options = { size: SIZE, fill: !flags.includes("hollow") };
  if (flags.includes("hot")) Object.assign(options, { outlineWidth: 5, outlineColor: "#ff1a1a" });
  return new ms.Symbol(code, options).asCanvas(window.devicePixelRatio || 1);
}

/** The same symbol as inline SVG (legend, tables). */
export function iconSvg(code, opts = {}) {
  const options = { size: opts.size || 14, fill: !opts.hollow };
  if (opts.hot) Object.assign(options, { outlineWidth: 5, outlineColor: "#ff1a1a" });
  return new ms.Symbol(code, options).asSVG();
}

// Plain marks that are not APP-6 symbols: launch point, predicted impact, planned intercept.
export const MARKS = {
  launch: { colour: "#c00000", label: "estimated launch point" },
  impact: { colour: "#d04000", label: "predicted impact point (ellipse: 95 %)" },
  intercept: { colour: "#0a7a2a", label: "planned intercept point" },
  pick: { colour: "#0050c0", label: "point picked for an inject" },
};

function markCanvas(name) {
  const dpr = window.devicePixelRatio || 1;
  const c = document.createElement("canvas");
  c.width = c.height = 20 * dpr;
  const g = c.getContext("2d");
  g.scale(dpr, dpr);
  g.strokeStyle = (MARKS[name] || MARKS.pick).colour;
  g.fillStyle = g.strokeStyle;
  g.lineWidth = 2.5;
  g.beginPath();
  if (name === "launch") { g.moveTo(4, 4); g.lineTo(16, 16); g.moveTo(16, 4); g.lineTo(4, 16); g.stroke(); }
  else if (name === "impact") { g.arc(10, 10, 4, 0, 2 * Math.PI); g.fill(); g.beginPath(); g.arc(10, 10, 8, 0, 2 * Math.PI); g.lineWidth = 1.5; g.stroke(); }
  else if (name === "intercept") { g.arc(10, 10, 6, 0, 2 * Math.PI); g.moveTo(0, 10); g.lineTo(20, 10); g.moveTo(10, 0); g.lineTo(10, 20); g.stroke(); }
  else { g.arc(10, 10, 7, 0, 2 * Math.PI); g.stroke(); g.beginPath(); g.arc(10, 10, 2, 0, 2 * Math.PI); g.fill(); }
  return c;
}

/** A placeholder for a mark in HTML (legend); drawMarks() puts the mark in it. (A data:
 *  image would need the page's policy to allow data: URLs; a canvas needs nothing.) */
export function markImg(name) {
  return `<span class="mark" data-mark="${name}"></span>`;
}

/** Draw every mark placeholder inside ``root``. */
export function drawMarks(root) {
  for (const span of root.querySelectorAll("span.mark[data-mark]")) {
    const c = markCanvas(span.dataset.mark);
    c.style.width = c.style.height = "16px";
    span.replaceChildren(c);
  }
}
