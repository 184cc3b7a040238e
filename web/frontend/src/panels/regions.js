// Per region and claim: floor, ceiling, allocation, shortfall and the shadow prices of the floor
// and the ceiling, for the shown proposal. A click on a row puts it in the proposal form.
// The "ranges" button asks the server for the near-optimal ranges of the shown proposal at the
// chosen level and slack; they appear beside each allocation: "1,200 ha (1,050–1,380)".
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

/** " (1,050–1,380)": the least and most area of a region and claim within the slack, or nothing. */
function rangeText(r) {
  if (!r) return null;
  return h("span", { class: "range muted", title: "least–most ha in any plan within the slack" }, ` (${num(r.min_ha)}–${num(r.max_ha)})`);
}

export function renderRegions(el, ctx, force = false) {
  const { viewed, duals, table, ranges } = ctx.state;
  // redraw only when the shown results change (thousands of rows on a national instance)
  const drawKey = viewed ? `${viewed.id}|${viewed.status}|${duals ? duals.id : ""}|${(duals && duals.rows && duals.rows.length) || 0}|${ranges ? `${ranges.id}|${ranges.level}|${ranges.slack}|${ranges.status}` : ""}` : "";
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
  const range = new Map();
  if (ranges && ranges.id === viewed.id && ranges.status === "done") {
    for (const r of ranges.rows || []) range.set(key(r.level, r.region, r.claim), r);
  }
  const slackInput = h("input", {
    id: "ranges-slack", type: "number", min: 0, max: 99, step: 1, style: "width: 5em",
    value: el.rangesSlack ?? (ranges && ranges.slack !== undefined ? Math.round(ranges.slack * 1000) / 10 : 5),
    title: "slack: how far (%) a plan's objective may be from this proposal's",
  });
  slackInput.addEventListener("input", () => (el.rangesSlack = slackInput.value));
  const rangesButton = h(
    "button",
    {
      id: "ranges-ask", type: "button",
      title: "The least and most hectares each claim can have in each region of the level while the objective stays within the slack",
      onclick: () => ctx.actions.askRanges(filterState.level || (levelsOfTable[0] || ""), Number(slackInput.value) / 100),
    },
    "ranges",
  );
  const rangesNote = !ranges || ranges.id !== viewed.id ? ""
    : ranges.status === "done" ? `Ranges at level ${ranges.level}, within ${num(ranges.slack * 100, 2)} % of the objective: (least–most) ha in any such plan.`
    : ranges.status === "error" ? `No ranges: ${ranges.message || "the computation failed"}`
    : `Ranges at level ${ranges.level} within ${num(ranges.slack * 100, 2)} %: ${ranges.status}…`;
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
          h("td", { class: "num" }, num(r.allocated_ha), rangeText(range.get(k))),
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
    h("div", { class: "row" }, h("label", { for: "ranges-slack" }, "Slack %"), slackInput, rangesButton),
    h("p", { id: "ranges-note", class: "muted", role: "status" }, rangesNote),
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
