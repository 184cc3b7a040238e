// Solve progress of the proposals being solved: incumbent, bound, gap, and a way to cancel.
import { h, fill, num, pct } from "../dom.js";

export function renderProgress(el, ctx) {
  const { table, progress, me } = ctx.state;
  if (!table) return;
  const solving = table.proposals.filter((p) => p.status === "solving" || p.status === "queued");
  el.hidden = solving.length === 0;
  if (!solving.length) {
    fill(el);
    return;
  }
  fill(
    el,
    h("h2", { id: "progress-h" }, "Solving"),
    solving.map((p) => {
      const m = progress.get(p.id);
      const gap = m && m.gap !== null && m.gap !== undefined ? m.gap : null;
      return h(
        "div",
        { class: "progress-item", dataset: { id: p.id } },
        h(
          "div",
          { class: "row" },
          h("strong", {}, `Proposal ${p.id}`),
          h("span", { class: "muted" }, p.status === "queued" ? "queued" : m ? `${m.elapsed_s.toFixed(1)} s` : "starting"),
          me && (me.role === "chair" || me.name === p.party)
            ? h("button", { type: "button", class: "danger", onclick: () => ctx.actions.cancel(p.id), "aria-label": `Cancel the solve of proposal ${p.id}` }, "Cancel")
            : null,
        ),
        m
          ? h(
              "dl",
              { class: "facts" },
              h("dt", {}, "incumbent"),
              h("dd", {}, num(m.objective, 2)),
              h("dt", {}, "bound"),
              h("dd", {}, num(m.bound, 2)),
              h("dt", {}, "gap"),
              h("dd", {}, pct(gap)),
            )
          : null,
        gap !== null
          ? h("div", { class: "bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(100 * (1 - Math.min(1, gap))), "aria-label": "closed share of the gap" }, h("span", { style: `width:${Math.round(100 * (1 - Math.min(1, gap)))}%` }))
          : null,
      );
    }),
  );
}
