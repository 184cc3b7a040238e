// Shadow prices of the other rows negotiated over: resource caps, budget, balance, no net loss.
import { h, fill, num } from "../dom.js";

export function renderCaps(el, ctx) {
  const { duals } = ctx.state;
  const rows = ((duals && duals.rows) || []).filter((d) => d.family !== "demand_floor" && d.family !== "demand_ceiling");
  const children = [h("h2", { id: "caps-h" }, "Shadow prices of caps")];
  if (!rows.length) {
    children.push(h("p", { class: "muted" }, duals && duals.message ? duals.message : "No resource cap, budget, balance or no-net-loss row in this instance."));
  } else {
    children.push(
      h(
        "div",
        { class: "scroll" },
        h(
          "table",
          { id: "caps-table" },
          h("thead", {}, h("tr", {}, h("th", {}, "row"), h("th", { class: "num" }, "use"), h("th", { class: "num" }, "limit"), h("th", { class: "num" }, "shadow price"), h("th", {}, "per"))),
          h(
            "tbody",
            {},
            rows.map((d) =>
              h(
                "tr",
                {},
                h("td", {}, d.key, d.binding ? h("span", { class: "muted" }, " (binding)") : null),
                h("td", { class: "num" }, num(d.activity)),
                h("td", { class: "num" }, num(d.rhs)),
                h("td", { class: "num" }, num(d.shadow_price, 2)),
                h("td", {}, d.unit),
              ),
            ),
          ),
        ),
      ),
    );
  }
  fill(el, children);
}
