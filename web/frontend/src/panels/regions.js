// Per region and claim: floor, ceiling, allocation, shortfall and the shadow prices of the floor
// and the ceiling, for the shown proposal. A click on a row puts it in the proposal form.
import { h, fill, num } from "../dom.js";

function key(level, region, claim) {
  return `${level}|${region ?? ""}|${claim}`;
}

export function dualIndex(duals) {
  const floor = new Map();
  const ceiling = new Map();
  for (const d of (duals && duals.rows) || []) {
    if (d.family === "demand_floor") floor.set(key(d.level, d.region, d.claim), d);
    if (d.family === "demand_ceiling") ceiling.set(key(d.level, d.region, d.claim), d);
  }
  return { floor, ceiling };
}

const MAX_ROWS = 400; // more rows than this make the page slow to redraw; the filter finds the rest

export function renderRegions(el, ctx, force = false) {
  const { viewed, duals, table } = ctx.state;
  // redraw only when the shown results change (thousands of rows on a national instance)
  const drawKey = viewed ? `${viewed.id}|${viewed.status}|${duals ? duals.id : ""}|${(duals && duals.rows && duals.rows.length) || 0}` : "";
  if (!force && el.drawnFor === drawKey) return;
  el.drawnFor = drawKey;
  const levelsOfTable = (table && table.levels) || [];
  const filterState = el.filterState || (el.filterState = { level: levelsOfTable[0] || "", text: "" });
  const children = [h("h2", { id: "regions-h" }, "Regions and claims")];
  if (!viewed || !viewed.summary || !viewed.summary.length) {
    children.push(h("p", { class: "muted" }, "Shown once the proposal is solved."));
    fill(el, children);
    return;
  }
  const { floor, ceiling } = dualIndex(duals);
  const levels = [...new Set(viewed.summary.map((r) => r.level))];
  const levelSelect = h(
    "select",
    { id: "regions-level", onchange: (e) => ((filterState.level = e.target.value), renderRegions(el, ctx, true)) },
    h("option", { value: "" }, "all levels"),
    levels.map((l) => h("option", { value: l, selected: filterState.level === l }, l)),
  );
  const search = h("input", { id: "regions-search", type: "search", placeholder: "region or claim", value: filterState.text, size: 16 });
  search.addEventListener("input", () => {
    filterState.text = search.value;
    renderBody();
  });
  const unit = duals && duals.rows && duals.rows.find((d) => d.family === "demand_floor");
  const tbody = h("tbody");
  const more = h("p", { class: "muted", role: "status" });
  const renderBody = () => {
    const text = filterState.text.trim().toLowerCase();
    const rows = viewed.summary.filter(
      (r) =>
        (!filterState.level || r.level === filterState.level) &&
        (!text || `${r.region_name || ""} ${r.region || ""} ${r.claim_name || ""} ${r.claim}`.toLowerCase().includes(text)),
    );
    more.textContent = rows.length > MAX_ROWS ? `Showing ${MAX_ROWS} of ${rows.length} rows: choose a level or filter to see the others.` : "";
    fill(
      tbody,
      rows.slice(0, MAX_ROWS).map((r) => {
        const k = key(r.level, r.region, r.claim);
        const f = floor.get(k);
        const c = ceiling.get(k);
        return h(
          "tr",
          {
            class: "clickable",
            tabindex: 0,
            dataset: { region: r.region ?? "", claim: r.claim, level: r.level },
            title: "Propose a change of this row",
            onclick: () => ctx.actions.preset(r),
            onkeydown: (e) => e.key === "Enter" && ctx.actions.preset(r),
          },
          h("td", { title: r.level }, r.region_name || r.region || "NL", h("div", { class: "muted small" }, r.level)),
          h("td", {}, r.claim_name || r.claim),
          h("td", { class: "num" }, num(r.demand_min)),
          h("td", { class: "num" }, num(r.demand_max)),
          h("td", { class: "num" }, num(r.allocated_ha)),
          h("td", { class: `num${r.shortfall_ha > 0.005 ? " shortfall" : ""}` }, num(r.shortfall_ha)),
          h("td", { class: "num", title: f ? f.unit : "" }, f ? num(f.shadow_price, 2) : "–"),
          h("td", { class: "num", title: c ? c.unit : "" }, c ? num(c.shadow_price, 2) : "–"),
        );
      }),
    );
  };
  renderBody();
  children.push(
    h("div", { class: "row" }, h("label", { for: "regions-level" }, "Level"), levelSelect, h("label", { for: "regions-search" }, "Filter"), search),
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { id: "regions-table" },
        h("caption", { class: "visually-hidden" }, `Floor, ceiling, allocation, shortfall and shadow prices of proposal ${viewed.id}`),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "region"),
            h("th", {}, "claim"),
            h("th", { class: "num" }, "floor"),
            h("th", { class: "num" }, "ceiling"),
            h("th", { class: "num" }, "allocated ha"),
            h("th", { class: "num" }, "shortfall ha"),
            h("th", { class: "num", title: "shadow price of the floor: change in the objective per extra unit demanded" }, "floor price"),
            h("th", { class: "num", title: "shadow price of the ceiling: change in the objective per extra unit allowed" }, "ceiling price"),
          ),
        ),
        tbody,
      ),
    ),
    more,
    h(
      "p",
      { class: "muted" },
      duals && duals.message ? duals.message : unit ? `Shadow prices: ${unit.unit} (floor), per extra unit allowed (ceiling); with the integer decisions fixed, for small changes.` : "",
    ),
  );
  if (table && table.sense) children.push(h("p", { class: "muted" }, `Objective: ${table.sense.replace(/_/g, " ")}.`));
  fill(el, children);
}
