// The proposals of the table: party, note, status, objective and votes; a click shows one on the map.
import { h, fill, num, statusBadge, timeOf } from "../dom.js";

export function renderProposals(el, ctx) {
  const { table, viewed } = ctx.state;
  if (!table) return;
  const rows = [...table.proposals].sort((a, b) => b.id - a.id);
  fill(
    el,
    h("h2", { id: "proposals-h" }, `Proposals (${rows.length})`),
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { id: "proposals-table" },
        h("caption", { class: "visually-hidden" }, "Proposals: click one to show it on the map"),
        h("thead", {}, h("tr", {}, h("th", { class: "num" }, "id"), h("th", { class: "num" }, "parent"), h("th", {}, "party"), h("th", {}, "note"), h("th", {}, "status"), h("th", { class: "num" }, "objective"), h("th", {}, "votes"))),
        h(
          "tbody",
          {},
          rows.map((p) => {
            const votes = p.votes || {};
            const show = () => ctx.actions.view(p.id);
            return h(
              "tr",
              {
                class: `clickable${viewed && viewed.id === p.id ? " viewing" : ""}`,
                dataset: { id: p.id, status: p.status },
                tabindex: 0,
                onclick: show,
                onkeydown: (e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), show()),
                "aria-label": `Proposal ${p.id} by ${p.party}, ${p.status}`,
              },
              h("td", { class: "num" }, p.id),
              h("td", { class: "num" }, p.parent === null ? "–" : p.parent),
              h("td", {}, p.party),
              h("td", {}, p.note || "", p.id === table.current ? [" ", h("span", { class: "current-badge" }, "current")] : null, p.created_at ? h("div", { class: "muted" }, `${timeOf(p.created_at)} UTC`) : null),
              h("td", { class: "status-cell" }, statusBadge(p.status)),
              h("td", { class: "num" }, num(p.objective, 2)),
              h("td", {}, `✔ ${votes.approve || 0} ✘ ${votes.reject || 0}`),
            );
          }),
        ),
      ),
    ),
  );
}
