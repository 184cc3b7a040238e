// The form to propose changes: a path picker built from the table's demand rows (a party: its own
// regions' floors and ceilings; the chair: any row, or any path in the sweep path language),
// each change a new value or a factor.
import { h, fill, num } from "../dom.js";

const SOLVED = new Set(["optimal", "time_limit"]);
let counter = 0;

function fieldsOf(row) {
  return row.measure && row.measure !== "ha"
    ? [["min", `floor (${row.measure})`], ["max", `ceiling (${row.measure})`]]
    : [["min_ha", "floor (ha)"], ["max_ha", "ceiling (ha)"]];
}

function editableRows(table) {
  const me = table.me || {};
  const mine = (r) => me.role === "chair" || me.regions === "all" || (Array.isArray(me.regions) && me.regions.includes(r.region));
  return table.demand.filter(mine);
}

function regionName(table, code, level) {
  const r = table.regions.find((x) => x.code === code && (!level || x.level === level)) || table.regions.find((x) => x.code === code);
  return r ? r.name : code || "national";
}

function claimName(table, key) {
  const c = table.claims.find((x) => x.key === key);
  return c ? c.name : key;
}

/** One change's fieldset; returns {el, read()} where read() gives {path, value|factor} or throws. */
function changeEditor(table, preset, onRemove) {
  const id = ++counter;
  const rows = editableRows(table);
  const isChair = table.me && table.me.role === "chair";
  const regions = [];
  for (const r of rows) {
    const key = `${r.level}|${r.region}`;
    if (!regions.some((x) => x.key === key)) regions.push({ key, level: r.level, region: r.region, name: regionName(table, r.region, r.level) });
  }
  const kind = h("select", { id: `kind-${id}`, "aria-label": "What to change" }, h("option", { value: "demand" }, "a demand row"), isChair ? h("option", { value: "path" }, "any path") : null);
  const region = h("select", { id: `region-${id}`, name: "region" }, regions.map((r) => h("option", { value: r.key }, `${r.name} (${r.region || "NL"}, ${r.level})`)));
  const claim = h("select", { id: `claim-${id}`, name: "claim" });
  const field = h("select", { id: `field-${id}`, name: "field" });
  const pathInput = h("input", { id: `path-${id}`, name: "path", type: "text", size: 38, placeholder: "resources.grid_mw.cap.PV28", spellcheck: "false" });
  const mode = h("select", { id: `mode-${id}`, name: "mode", "aria-label": "Set a value or multiply" }, h("option", { value: "value" }, "set to"), h("option", { value: "factor" }, "multiply by"));
  const amount = h("input", { id: `amount-${id}`, name: "amount", type: "number", step: "any", required: true, "aria-label": "Value or factor" });
  const preview = h("output", { class: "muted", for: `region-${id} claim-${id} field-${id}` });

  const selectedRow = () => {
    const [level, code] = region.value.split("|");
    return rows.find((r) => r.level === level && String(r.region) === code && r.claim === claim.value);
  };
  const updateClaims = () => {
    const [level, code] = region.value.split("|");
    const keep = claim.value;
    fill(claim, rows.filter((r) => r.level === level && String(r.region) === code).map((r) => h("option", { value: r.claim, selected: r.claim === keep }, claimName(table, r.claim))));
    updateFields();
  };
  const updateFields = () => {
    const row = selectedRow();
    const keep = field.value;
    fill(field, row ? fieldsOf(row).map(([f, label]) => h("option", { value: f, selected: f === keep }, label)) : []);
    updatePreview();
  };
  const currentPath = () => {
    if (kind.value === "path") return pathInput.value.trim();
    const row = selectedRow();
    return row ? `${row.path}.${field.value}` : "";
  };
  const updatePreview = () => {
    const row = selectedRow();
    const now = row && kind.value === "demand" ? row[field.value] : undefined;
    preview.value = `${currentPath()}${now !== undefined ? ` (base: ${now === null ? "none" : num(now)})` : ""}`;
  };
  region.addEventListener("change", updateClaims);
  claim.addEventListener("change", updateFields);
  field.addEventListener("change", updatePreview);
  pathInput.addEventListener("input", updatePreview);

  const demandPart = h("div", { class: "row" }, h("label", { for: `region-${id}` }, "Region"), region, h("label", { for: `claim-${id}` }, "Claim"), claim, h("label", { for: `field-${id}` }, "Bound"), field);
  const pathPart = h("div", { class: "row", hidden: true }, h("label", { for: `path-${id}` }, "Path"), pathInput);
  kind.addEventListener("change", () => {
    demandPart.hidden = kind.value !== "demand";
    pathPart.hidden = kind.value !== "path";
    updatePreview();
  });

  const el = h(
    "fieldset",
    { class: "change" },
    h("legend", {}, "Change"),
    h("div", { class: "row" }, h("label", { for: `kind-${id}` }, "Change"), kind, onRemove ? h("button", { type: "button", onclick: () => onRemove(el), "aria-label": "Remove this change" }, "Remove") : null),
    demandPart,
    pathPart,
    h("div", { class: "row" }, mode, amount),
    h("div", { class: "row" }, h("span", { class: "muted" }, "Path: "), preview),
  );
  if (preset) {
    const match = regions.find((r) => r.level === preset.level && String(r.region) === String(preset.region));
    if (match) region.value = match.key;
  }
  updateClaims();
  if (preset && preset.claim) {
    claim.value = preset.claim;
    updateFields();
  }
  if (!regions.length && isChair) {
    kind.value = "path";
    kind.dispatchEvent(new Event("change"));
  }

  return {
    el,
    read() {
      const path = currentPath();
      if (!path) throw new Error("Choose a row or write a path.");
      const x = Number(amount.value);
      if (amount.value.trim() === "" || !Number.isFinite(x)) throw new Error(`The ${mode.value} for ${path} must be a finite number.`);
      return mode.value === "value" ? { path, value: x } : { path, factor: x };
    },
  };
}

/** Build the form once (it keeps what is typed); `updatePropose` refreshes the parent list. */
export function renderPropose(el, ctx) {
  const table = ctx.state.table;
  if (!table) return;
  const editors = [];
  const list = h("div", { class: "changes" });
  const add = (preset) => {
    const editor = changeEditor(table, preset, editors.length ? (node) => {
      const i = editors.findIndex((e) => e.el === node);
      if (i >= 0) editors.splice(i, 1);
      node.remove();
    } : null);
    editors.push(editor);
    list.append(editor.el);
    return editor;
  };
  const parent = h("select", { id: "propose-parent", name: "parent" });
  const note = h("input", { id: "propose-note", name: "note", type: "text", size: 36, maxlength: 500, placeholder: "what and why" });
  const timeLimit = h("input", { id: "propose-time", name: "time_limit", type: "number", min: "1", step: "any", placeholder: "server default" });
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary", id: "propose-submit" }, "Propose");
  const form = h(
    "form",
    { id: "propose-form", novalidate: true },
    list,
    h("div", { class: "row" }, h("button", { type: "button", onclick: () => add() }, "Add another change")),
    h("div", { class: "row" }, h("label", { for: "propose-parent" }, "On top of"), parent),
    h("div", { class: "row" }, h("label", { for: "propose-note" }, "Note"), note),
    h("div", { class: "row" }, h("label", { for: "propose-time" }, "Time limit (s)"), timeLimit),
    h("div", { class: "row" }, submit),
    status,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    let changes;
    try {
      changes = editors.map((ed) => ed.read());
    } catch (err) {
      status.textContent = err.message;
      return;
    }
    const body = { changes, note: note.value.trim(), parent: Number(parent.value) };
    if (timeLimit.value.trim()) body.time_limit = Number(timeLimit.value);
    submit.disabled = true;
    status.textContent = "Sending…";
    try {
      const id = await ctx.actions.propose(body);
      status.textContent = `Proposal ${id} submitted: its progress and result are shown above.`;
    } catch (err) {
      status.textContent = err.message;
    } finally {
      submit.disabled = false;
    }
  });
  add();
  fill(el, h("h2", { id: "propose-h" }, "Propose a change"), form);
  el.presetChange = (row) => {
    const editor = editors[0];
    editor.el.remove();
    editors.splice(0, 1);
    const fresh = changeEditor(table, row, null);
    editors.unshift(fresh);
    list.prepend(fresh.el);
    fresh.el.querySelector("input[name=amount]").focus();
  };
  el.updateParents = () => updateParents(parent, ctx);
  updateParents(parent, ctx);
}

function updateParents(select, ctx) {
  const { table, viewed } = ctx.state;
  const keep = select.value;
  const solved = table.proposals.filter((p) => SOLVED.has(p.status));
  const preferred = viewed && SOLVED.has(viewed.status) ? String(viewed.id) : String(table.current);
  fill(select, solved.map((p) => h("option", { value: p.id }, `${p.id}${p.id === table.current ? " (current plan)" : ""}: ${p.note || p.party}`)));
  select.value = select.dataset.touched && solved.some((p) => String(p.id) === keep) ? keep : preferred;
  if (!select.dataset.bound) {
    select.dataset.bound = "1";
    select.addEventListener("change", () => (select.dataset.touched = "1"));
  }
}
