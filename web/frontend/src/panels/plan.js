// The plan shown on the map: which proposal, its status, objective, votes and the actions on it,
// and the alternative plans within a slack of it (Hop-Skip-Jump: each shares as little as it can
// with the plans before it), asked with the "alternatives" button.
import { h, fill, num, pct, statusBadge, timeOf } from "../dom.js";

const FINISHED = new Set(["optimal", "time_limit"]);
const RESOLVABLE = new Set(["interrupted", "cancelled", "error"]);

function howSolved(p) {
  if (p.path === "patched") {
    const t = p.times || {};
    const firstStage = t.first_stage !== undefined && t.solve !== undefined && Math.abs(t.solve - t.first_stage) < 1e-9;
    if (firstStage) return p.parent === null ? " (kept model: relaxation and a sub-MIP)" : " (kept model: relaxation and a sub-MIP, ties kept as in the parent's plan)";
    return p.parent === null ? " (kept model)" : " (kept model, started from the parent's plan)";
  }
  if (p.path === "fresh") return " (prepared anew)";
  return "";
}

export function renderPlan(el, ctx) {
  const { table, viewed, me } = ctx.state;
  if (!table) return;
  const select = h(
    "select",
    { id: "view-select", "aria-label": "Proposal shown on the map", onchange: (e) => ctx.actions.view(e.target.value === "current" ? null : Number(e.target.value)) },
    h("option", { value: "current", selected: ctx.state.follow }, `the current plan (${table.current})`),
    table.proposals.map((p) =>
      h("option", { value: p.id, selected: !ctx.state.follow && viewed && viewed.id === p.id }, `${p.id}: ${p.note || "(no note)"} — ${p.party}`),
    ),
  );
  const children = [h("h2", { id: "plan-h" }, "Plan on the map"), h("div", { class: "row" }, h("label", { for: "view-select" }, "Showing"), select)];
  if (viewed) {
    const p = viewed;
    const approve = (p.votes || []).filter((v) => v.vote === "approve").map((v) => v.party);
    const reject = (p.votes || []).filter((v) => v.vote === "reject").map((v) => v.party);
    children.push(
      h(
        "dl",
        { class: "facts", id: "plan-facts", dataset: { id: p.id, status: p.status } },
        h("dt", {}, "proposal"),
        h("dd", {}, `${p.id}`, p.id === table.current ? [" ", h("span", { class: "current-badge" }, "current plan")] : null),
        h("dt", {}, "status"),
        h("dd", {}, statusBadge(p.status), p.message ? ` ${p.message}` : ""),
        h("dt", {}, "by"),
        h("dd", {}, `${p.party}${p.created_at ? ` at ${timeOf(p.created_at)} UTC` : ""}`),
        p.note ? [h("dt", {}, "note"), h("dd", {}, p.note)] : null,
        h("dt", {}, "parent"),
        h("dd", {}, p.parent === null ? "none (the instance's own optimum)" : String(p.parent)),
        h("dt", {}, "objective"),
        h("dd", { id: "plan-objective" }, num(p.objective, 2), p.bound !== null && p.bound !== undefined ? h("span", { class: "muted" }, ` (bound ${num(p.bound, 2)}, gap ${pct(p.gap)})`) : ""),
        h("dt", {}, "solved in"),
        h("dd", {}, p.solve_s === null || p.solve_s === undefined ? "–" : `${p.solve_s.toFixed(2)} s${howSolved(p)}`),
        p.requested && (p.requested.gap != null || p.requested.time_limit != null)
          ? [h("dt", {}, "asked for"), h("dd", {}, [p.requested.gap != null ? `gap ${p.requested.gap}` : null, p.requested.time_limit != null ? `time limit ${p.requested.time_limit} s` : null].filter(Boolean).join(", "))]
          : null,
        h("dt", {}, "changes"),
        h("dd", {}, (p.changes || []).length ? h("ul", { class: "sentences" }, p.changes.map((c) => h("li", {}, h("code", {}, c.path), " ", "value" in c ? `= ${c.value}` : `× ${c.factor}`))) : "none"),
        h("dt", {}, "changed area"),
        h("dd", {}, p.changed_ha === null || p.changed_ha === undefined ? "–" : `${num(p.changed_ha)} ha`),
        h("dt", {}, "affected"),
        h("dd", {}, (p.affected || []).length ? p.affected.join(", ") : "no party"),
        h("dt", {}, "votes"),
        h("dd", { id: "plan-votes" }, `approve: ${approve.join(", ") || "none"}; reject: ${reject.join(", ") || "none"}`),
      ),
    );
    const canVote = me && (me.role === "chair" || (p.affected || []).includes(me.name));
    const actions = h("div", { class: "row" });
    if (canVote && p.parent !== null) {
      actions.append(
        h("button", { type: "button", onclick: () => ctx.actions.vote(p.id, "approve") }, "Approve"),
        h("button", { type: "button", class: "danger", onclick: () => ctx.actions.vote(p.id, "reject") }, "Reject"),
      );
    }
    if (me && me.role === "chair" && FINISHED.has(p.status) && p.id !== table.current) {
      actions.append(h("button", { type: "button", class: "primary", onclick: () => ctx.actions.adopt(p.id) }, "Adopt as the current plan"));
    }
    const mayRestart = me && (me.role === "chair" || me.name === p.party);
    if (mayRestart && (p.status === "queued" || p.status === "solving")) {
      actions.append(h("button", { type: "button", class: "danger", onclick: () => ctx.actions.cancel(p.id) }, "Cancel the solve"));
    }
    if (mayRestart && RESOLVABLE.has(p.status)) {
      actions.append(h("button", { type: "button", onclick: () => ctx.actions.solveAgain(p.id) }, "Solve again"));
    }
    children.push(actions);
    if (FINISHED.has(p.status)) children.push(alternativesBlock(ctx, p));
    children.push(
      h(
        "div",
        { class: "row" },
        h("span", { class: "muted" }, "Download:"),
        ["allocation.csv", "summary.csv", "scenario.yaml", "run.zip"].map((name) =>
          h("button", { type: "button", onclick: () => ctx.actions.download(p.id, name) }, name),
        ),
      ),
    );
  }
  fill(el, children);
}

/** The "alternatives" button and, once found, one row per plan: objective, loss, shared and changed area. */
function alternativesBlock(ctx, p) {
  const alt = ctx.state.alternatives && ctx.state.alternatives.id === p.id ? ctx.state.alternatives : null;
  const button = h(
    "button",
    {
      id: "alternatives-ask", type: "button",
      title: "Three plans within 5 % of this one's objective, each sharing as little as it can with the plans before it",
      onclick: () => ctx.actions.askAlternatives(3, 0.05),
    },
    "alternatives",
  );
  const out = [h("div", { class: "row" }, button, h("span", { id: "alternatives-note", class: "muted", role: "status" },
    !alt ? "" : alt.status === "done" ? `${alt.rows.length - 1} plan(s) within ${num(alt.slack * 100, 2)} % of this one`
      : alt.status === "error" ? `No alternatives: ${alt.message || "the search failed"}` : `alternatives: ${alt.status}…`))];
  if (alt && alt.status === "done") {
    out.push(
      h(
        "table",
        { id: "alternatives-table" },
        h("caption", { class: "visually-hidden" }, `Alternative plans of proposal ${p.id}`),
        h("thead", {}, h("tr", {}, ["plan", "status", "objective", "loss", "shared ha", "distance ha"].map((t, i) => h("th", i > 1 ? { class: "num" } : {}, t)))),
        h(
          "tbody",
          {},
          alt.rows.map((r) =>
            h(
              "tr",
              { dataset: { plan: r.plan } },
              h("td", {}, r.plan === 0 ? "0 (this plan)" : String(r.plan)),
              h("td", {}, statusBadge(r.status)),
              h("td", { class: "num" }, num(r.objective, 2)),
              h("td", { class: "num" }, r.objective_loss_pct === null ? "–" : `${num(r.objective_loss_pct, 2)} %`),
              h("td", { class: "num" }, num(r.overlap_ha)),
              h("td", { class: "num" }, num(r.distance_ha)),
            ),
          ),
        ),
      ),
    );
  }
  return out;
}
