// The difference of the shown proposal against its parent: sentences, the changed region × claim
// pairs, and a toggle that colours only the changed units on the map.
import { h, fill, num } from "../dom.js";

export function renderDifference(el, ctx) {
  const { diff, viewed, diffOn } = ctx.state;
  const children = [h("h2", { id: "difference-h" }, "Difference against the parent")];
  if (!viewed || viewed.parent === null || viewed.parent === undefined) {
    children.push(h("p", { class: "muted" }, "Revision 0 is the instance's own optimum: it has no parent."));
  } else if (!diff) {
    children.push(h("p", { class: "muted" }, "Available once the proposal is solved."));
  } else {
    children.push(
      h(
        "div",
        { class: "row" },
        h("input", { type: "checkbox", id: "diff-toggle", checked: diffOn, onchange: (e) => ctx.actions.setDiff(e.target.checked) }),
        h("label", { for: "diff-toggle" }, `Colour only the ${num(diff.changed_units.length, 0)} changed units on the map`),
      ),
      h("ul", { class: "sentences", id: "diff-sentences" }, (diff.sentences || []).map((s) => h("li", {}, s))),
      diff.rows.length
        ? h(
            "div",
            { class: "scroll" },
            h(
              "table",
              { id: "diff-table" },
              h("caption", { class: "visually-hidden" }, `Changes of proposal ${diff.id} against proposal ${diff.parent}`),
              h("thead", {}, h("tr", {}, h("th", {}, "region"), h("th", {}, "claim"), h("th", { class: "num" }, "parent ha"), h("th", { class: "num" }, "now ha"), h("th", { class: "num" }, "change ha"))),
              h(
                "tbody",
                {},
                diff.rows.map((r) =>
                  h(
                    "tr",
                    {},
                    h("td", { title: r.level }, `${r.region_name || r.region || "NL"}`, h("div", { class: "muted small" }, r.level)),
                    h("td", {}, r.claim_name || r.claim),
                    h("td", { class: "num" }, num(r.parent_ha)),
                    h("td", { class: "num" }, num(r.allocated_ha)),
                    h("td", { class: "num" }, `${r.change_ha > 0 ? "+" : ""}${num(r.change_ha)}`),
                  ),
                ),
              ),
            ),
          )
        : h("p", { class: "muted" }, "No region × claim total changed."),
    );
  }
  fill(el, children);
}
