// The page of the negotiation table: loads the table and its geometry, shows a proposal on the
// map and in the panels, and follows the table's events over the WebSocket.
import "./style.css";
import { api, ApiError, download, eventsUrl, getToken, setToken } from "./api.js";
import { connectEvents } from "./events.js";
import { TableMap } from "./map.js";
import { h, fill, num } from "./dom.js";
import { renderPlan } from "./panels/plan.js";
import { renderProgress } from "./panels/progress.js";
import { renderPropose } from "./panels/propose.js";
import { renderProposals } from "./panels/proposals.js";
import { renderDifference } from "./panels/difference.js";
import { renderRegions } from "./panels/regions.js";
import { renderCaps } from "./panels/caps.js";

const SOLVED = new Set(["optimal", "time_limit"]);
const $ = (id) => document.getElementById(id);

const state = {
  table: null,
  me: null,
  viewed: null, // the full proposal shown (GET /api/proposals/{id})
  follow: true, // show the table's current plan, whichever it is
  viewId: null,
  cells: null,
  diff: null,
  duals: null,
  ranges: null, // the shown proposal's near-optimal ranges (GET /api/proposals/{id}/ranges), or null
  alternatives: null, // its Hop-Skip-Jump plans (GET /api/proposals/{id}/alternatives), or null
  diffOn: false,
  progress: new Map(), // proposal id -> latest progress event
  starts: new Set(), // proposals being solved whose first allocation (the parent's plan repaired) is announced
  startShown: null, // {id, objective} while the map shows a proposal's start rather than its plan
};

let map = null;
let loadSeq = 0;
const started = performance.now();
// milliseconds since the page's navigation at each step of the first load; with the number of
// units drawn they are window.__tableStats, and body[data-ready] marks the first plan drawn
const marks = {};
const mark = (name) => (marks[name] = Math.round(performance.now()));

function showMessage(text, kind = "error") {
  const el = $("message");
  el.textContent = text;
  el.className = `message${kind === "info" ? " info" : ""}`;
  el.hidden = !text;
  if (text && kind === "info") setTimeout(() => el.textContent === text && (el.hidden = true), 4000);
}

async function guarded(fn) {
  try {
    return await fn();
  } catch (err) {
    showMessage(err instanceof ApiError || err instanceof Error ? err.message : String(err));
    throw err;
  }
}

const actions = {
  view(id) {
    state.follow = id === null;
    state.viewId = id;
    state.diffOn = false;
    return loadViewed();
  },
  async propose(body) {
    const answer = await api.propose(body);
    showMessage(`Proposal ${answer.id} submitted.`, "info");
    await refreshTable();
    await actions.view(answer.id);
    return answer.id;
  },
  vote: (id, vote) => guarded(async () => {
    await api.vote(id, vote);
    await Promise.all([refreshTable(), refreshViewed(false)]);
  }),
  adopt: (id) => guarded(async () => {
    await api.adopt(id);
    await refreshTable();
  }),
  cancel: (id) => guarded(async () => {
    await api.cancel(id);
    await refreshTable();
  }),
  solveAgain: (id) => guarded(async () => {
    await api.solveAgain(id);
    await refreshTable();
  }),
  download: (id, name) => guarded(() => download(id, name)),
  setDiff(on) {
    state.diffOn = on;
    paintCells();
    renderLegend();
  },
  askRanges: (level, slack) => guarded(async () => {
    const id = state.viewed && state.viewed.id;
    if (id === null || id === undefined) return;
    const body = { slack };
    if (level) body.level = level;
    state.ranges = await api.askRanges(id, body);
    renderRegions($("regions"), ctx);
    if (!rangesFinal(state.ranges)) setTimeout(() => refreshRanges(id), 1000);
  }),
  askAlternatives: (count, slack) => guarded(async () => {
    const id = state.viewed && state.viewed.id;
    if (id === null || id === undefined) return;
    state.alternatives = await api.askAlternatives(id, { count, slack });
    renderPlan($("plan"), ctx);
    if (!rangesFinal(state.alternatives)) setTimeout(() => refreshAlternatives(id), 1000);
  }),
  preset(row) {
    const el = $("propose");
    if (el.presetChange) el.presetChange(row);
    el.scrollIntoView({ behavior: "smooth", block: "start" });
  },
};

const ctx = { state, actions };

function renderPanels() {
  renderPlan($("plan"), ctx);
  renderProgress($("progress"), ctx);
  renderProposals($("proposals"), ctx);
  renderDifference($("difference"), ctx);
  renderRegions($("regions"), ctx);
  renderCaps($("caps"), ctx);
  const propose = $("propose");
  if (propose.updateParents) propose.updateParents();
}

function renderHeader() {
  const t = state.table;
  $("table-title").textContent = `${t.instance}${t.scenario ? ` · ${t.scenario}` : ""}`;
  document.title = `${t.instance} — ruimtepuzzel negotiation table`;
  const me = t.me || {};
  $("me").textContent = `${me.name || "?"} (${me.role || "?"}; regions: ${me.regions === "all" ? "all" : (me.regions || []).join(", ")})`;
}

function renderLegend() {
  if (!state.table) return;
  fill(
    $("legend"),
    h("strong", {}, state.diffOn ? "Changed units, by claim now" : "Main claim of each unit"),
    h(
      "ul",
      {},
      state.table.claims.map((c) => h("li", {}, h("span", { class: "swatch", style: `background:${c.color}` }), c.name)),
      state.diffOn ? [h("li", {}, h("span", { class: "swatch", style: "background:#282828" }), "no longer allocated"), h("li", {}, h("span", { class: "swatch", style: "background:rgba(120,120,120,0.2)" }), "unchanged")] : null,
    ),
    h("div", { class: "muted" }, "paler: a smaller share of the unit"),
    mapCaption(),
  );
}

/** Which proposal's plan the map shows, and why when it is not the one chosen. */
function mapCaption() {
  const shown = state.cells ? state.cellsFor : null;
  const viewed = state.viewed;
  if (shown === null || shown === undefined) {
    const text = !viewed ? "Loading the plan…" : SOLVED.has(viewed.status) ? "Drawing the plan…" : `Proposal ${viewed.id} is ${viewed.status.replace("_", " ")}: no plan to show yet.`;
    return h("div", { id: "map-caption" }, text);
  }
  const start = state.startShown && state.startShown.id === shown && viewed && viewed.id === shown && !SOLVED.has(viewed.status);
  if (start)
    return h("div", { id: "map-caption", class: "stale", dataset: { start: "1" } },
      `Start of proposal ${shown}: its parent's plan repaired for the change (objective ${num(state.startShown.objective, 2)}); ` +
        (viewed.status === "solving" || viewed.status === "queued" ? "solving…" : `the proposal is ${viewed.status.replace("_", " ")}.`));
  const text =
    viewed && viewed.id !== shown
      ? `Plan of proposal ${shown}; proposal ${viewed.id} is ${viewed.status.replace("_", " ")}.`
      : `Plan of proposal ${shown}.`;
  return h("div", { id: "map-caption", class: viewed && viewed.id !== shown ? "stale" : "" }, text);
}

function paintCells() {
  if (!map || !state.cells) return;
  map.setCells(state.cells, state.diffOn && state.diff ? state.diff.changed_units : null);
  const el = $("map");
  el.dataset.proposal = String(state.viewed ? state.viewed.id : "");
  el.dataset.diff = state.diffOn ? "1" : "0";
  // how long the page took from a solved proposal's event to the frame that shows it, for
  // measurements from outside (a headless browser reads window.__lastUpdate)
  const heard = state.heardAt && state.heardAt.id === (state.viewed && state.viewed.id) ? state.heardAt : null;
  if (heard) {
    state.heardAt = null;
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        window.__lastUpdate = { id: heard.id, eventToFrameMs: Math.round(performance.now() - heard.t) };
      }),
    );
  }
  if (!document.body.dataset.ready) {
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        const ms = Math.round(performance.now() - started);
        mark("drawn");
        window.__tableStats = { units: map.rendered, loadMs: ms, sinceNavigationMs: Math.round(performance.now()), marks };
        document.body.dataset.ready = "1";
      }),
    );
  }
}

async function refreshTable() {
  state.table = await api.table();
  state.me = state.table.me;
  renderHeader();
  for (const id of state.progress.keys()) {
    const p = state.table.proposals.find((x) => x.id === id);
    if (!p || !(p.status === "solving" || p.status === "queued")) state.progress.delete(id);
  }
  renderPanels();
}

/** Reload the shown proposal; with `withResults` also its cells, difference and shadow prices. */
async function refreshViewed(withResults = true) {
  const id = state.follow ? state.table.current : state.viewId;
  const seq = ++loadSeq;
  const viewed = await api.proposal(id);
  if (!marks.proposal) mark("proposal");
  if (seq !== loadSeq) return;
  const solved = SOLVED.has(viewed.status);
  const sameResults = state.viewed && state.viewed.id === viewed.id && state.viewed.status === viewed.status && state.cells;
  state.viewed = viewed;
  if (withResults && !(sameResults && state.cellsFor === viewed.id)) {
    if (solved) {
      const [cells, diff, duals, ranges, alternatives] = await Promise.all([
        api.cells(id),
        viewed.parent === null ? Promise.resolve(null) : api.diff(id).catch(() => null),
        api.duals(id).catch((err) => ({ rows: [], message: `No shadow prices: ${err.message}` })),
        api.ranges(id).catch(() => null), // 404 until someone asks for them
        api.alternatives(id).catch(() => null),
      ]);
      if (!marks.results) mark("results");
      if (seq !== loadSeq) return;
      Object.assign(state, { cells, diff, duals, ranges, alternatives, cellsFor: id, startShown: null });
      state.starts.delete(id);
      if (ranges && !rangesFinal(ranges)) setTimeout(() => refreshRanges(id), 1000);
      if (alternatives && !rangesFinal(alternatives)) setTimeout(() => refreshAlternatives(id), 1000);
      if (dualsPending(duals)) setTimeout(() => refreshDuals(id), 1500);
      paintCells();
      if (!marks.painted) mark("painted");
    } else {
      Object.assign(state, { diff: null, duals: null, ranges: null, alternatives: null });
      if (state.starts.has(id) && state.cellsFor !== id) loadStart(id);
    }
  }
  renderPanels();
  renderLegend();
}

/** Show a proposal's first allocation while it is solved: its parent's plan repaired for its changes (GET .../start). */
async function loadStart(id) {
  const start = await api.start(id).catch(() => null); // 404 once the solve has ended: its plan follows
  if (!start || !state.viewed || state.viewed.id !== id || SOLVED.has(state.viewed.status)) return;
  state.cells = { claims: start.claims, claim: start.claim, share: start.share };
  state.cellsFor = id;
  state.startShown = { id, objective: start.objective };
  paintCells();
  renderLegend();
}

/** The server stores a plan first and its shadow prices just after: until then it says so. */
function dualsPending(duals) {
  return duals && (!duals.rows || !duals.rows.length) && /being computed/.test(duals.message || "");
}

/** Fetch the shown proposal's shadow prices again (they are stored just after its plan). */
async function refreshDuals(id, tries = 20) {
  if (!state.viewed || state.viewed.id !== id) return;
  const duals = await api.duals(id).catch(() => null);
  if (!duals || !state.viewed || state.viewed.id !== id) return;
  state.duals = duals;
  renderRegions($("regions"), ctx);
  renderCaps($("caps"), ctx);
  if (dualsPending(duals) && tries > 1) setTimeout(() => refreshDuals(id, tries - 1), 1500);
}

function rangesFinal(ranges) {
  return ranges && (ranges.status === "done" || ranges.status === "error");
}

/** Fetch the shown proposal's ranges again (on a `ranges` event, or polling until they are done). */
async function refreshRanges(id, poll = true) {
  if (!state.viewed || state.viewed.id !== id) return;
  const ranges = await api.ranges(id).catch(() => null);
  if (!ranges || !state.viewed || state.viewed.id !== id) return;
  state.ranges = ranges;
  renderRegions($("regions"), ctx);
  if (poll && !rangesFinal(ranges)) setTimeout(() => refreshRanges(id), 1500);
}

/** The same for the shown proposal's alternative plans. */
async function refreshAlternatives(id, poll = true) {
  if (!state.viewed || state.viewed.id !== id) return;
  const alternatives = await api.alternatives(id).catch(() => null);
  if (!alternatives || !state.viewed || state.viewed.id !== id) return;
  state.alternatives = alternatives;
  renderPlan($("plan"), ctx);
  if (poll && !rangesFinal(alternatives)) setTimeout(() => refreshAlternatives(id), 1500);
}

function loadViewed() {
  return guarded(() => refreshViewed(true));
}

let tableTimer = null;
function scheduleTableRefresh(thenViewed) {
  if (thenViewed) scheduleTableRefresh.viewed = true;
  clearTimeout(tableTimer);
  tableTimer = setTimeout(async () => {
    const withViewed = scheduleTableRefresh.viewed;
    scheduleTableRefresh.viewed = false;
    const before = state.table && state.table.current;
    if (withViewed) {
      // the shown proposal changed: its results and the table's list load side by side
      await Promise.all([refreshTable().catch((err) => showMessage(err.message)), loadViewed().catch(() => {})]);
      return;
    }
    await refreshTable().catch((err) => showMessage(err.message));
    if (state.follow && state.table.current !== before) await loadViewed().catch(() => {});
  }, 80);
}

let progressTimer = null;
function onEvent(message) {
  const viewedId = state.viewed ? state.viewed.id : null;
  switch (message.type) {
    case "progress":
      state.progress.set(message.id, message);
      if (!progressTimer)
        progressTimer = setTimeout(() => {
          progressTimer = null;
          renderProgress($("progress"), ctx);
        }, 150);
      break;
    case "start":
      // the proposal's first allocation is ready: the map shows it while the solve runs
      state.starts.add(message.id);
      if (message.id === viewedId) loadStart(message.id);
      break;
    case "proposal":
      if (message.duals) {
        // the shadow prices of a solved proposal are stored
        if (message.id === viewedId) refreshDuals(message.id, 1);
        break;
      }
      if (!(message.status === "solving" || message.status === "queued")) {
        state.progress.delete(message.id);
        if (!SOLVED.has(message.status)) state.starts.delete(message.id);
      }
      if (SOLVED.has(message.status)) state.heardAt = { id: message.id, t: performance.now() };
      scheduleTableRefresh(message.id === viewedId);
      break;
    case "vote":
      scheduleTableRefresh(message.id === viewedId);
      break;
    case "ranges":
      if (message.id === viewedId) refreshRanges(message.id, false);
      break;
    case "alternatives":
      if (message.id === viewedId) refreshAlternatives(message.id, false);
      break;
    case "adopted":
    case "table":
    default:
      scheduleTableRefresh(false);
  }
}

function onConnection(status) {
  const el = $("connection");
  el.className = `connection ${status}`;
  el.textContent = { open: "live", closed: "reconnecting…", unauthorised: "token refused" }[status] || status;
  if (status === "open" && state.table) scheduleTableRefresh(true); // catch up on what was missed
}

async function boot() {
  $("token").value = getToken();
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setToken($("token").value);
    window.location.reload();
  });
  mark("script");
  map = new TableMap($("map"));
  try {
    await refreshTable();
    mark("table");
  } catch (err) {
    showMessage(err.status === 401 ? "This table needs a token: enter yours above (or open the page with ?token=...)." : err.message);
    onConnection("unauthorised");
    return;
  }
  renderPropose($("propose"), ctx);
  renderLegend();
  const geometry = await guarded(() => api.geometry());
  mark("geometry");
  await map.setGeometry(geometry, state.table.claims, state.table.levels);
  mark("map");
  connectEvents(eventsUrl, onEvent, onConnection);
  await loadViewed();
  mark("plan");
}

boot();
