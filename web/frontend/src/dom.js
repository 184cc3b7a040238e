// Small DOM and number-formatting helpers for the panels.

/** Create an element: h("td", {class: "num"}, "12"); attributes starting with "on" are listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const nf = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1 });
const nf0 = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 });

/** A number with thousands separators and at most one decimal ("–" for null). */
export function num(x, digits = 1) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  if (digits === 0) return nf0.format(x);
  if (digits === 1) return nf.format(x);
  return new Intl.NumberFormat("en-GB", { maximumFractionDigits: digits }).format(x);
}

/** A relative gap (0.01) as a percentage ("1.00 %"). */
export function pct(gap) {
  if (gap === null || gap === undefined) return "–";
  return `${(100 * gap).toFixed(2)} %`;
}

/** A status badge. */
export function statusBadge(status) {
  return h("span", { class: `status status-${status}` }, (status || "").replace("_", " "));
}

/** Replace a panel's content. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

/** The time part of an ISO timestamp ("18:01:02"), or "". */
export function timeOf(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 19);
}
