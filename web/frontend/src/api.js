// The JSON API of the negotiation table (web/PROTOCOL.md), on the page's own origin.
// A party's token comes from the page's URL (`/?token=...`) and goes on every call.

const params = new URLSearchParams(window.location.search);
let token = params.get("token") || "";

/** The token the page sends (empty without --parties). */
export function getToken() {
  return token;
}

/** Use another token (the token field); keeps it in the URL so a reload keeps it. */
export function setToken(value) {
  token = value.trim();
  const url = new URL(window.location.href);
  if (token) url.searchParams.set("token", token);
  else url.searchParams.delete("token");
  window.history.replaceState(null, "", url);
}

/** An API error: `status` is the HTTP code, `message` the server's `detail`. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// the page lives at /, so "api/..." is the server's API whatever the page's own path
function url(path) {
  return new URL(path.replace(/^\//, ""), new URL(".", window.location.href)).toString();
}

async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url(path), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const detail = data && data.detail ? (typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail)) : text;
    throw new ApiError(response.status, `${response.status}: ${detail || response.statusText}`);
  }
  return data;
}

export const api = {
  health: () => call("GET", "api/health"),
  table: () => call("GET", "api/table"),
  geometry: () => call("GET", "api/geometry"),
  proposal: (id) => call("GET", `api/proposals/${id}`),
  cells: (id) => call("GET", `api/proposals/${id}/cells`),
  diff: (id) => call("GET", `api/proposals/${id}/diff`),
  duals: (id) => call("GET", `api/proposals/${id}/duals`),
  start: (id) => call("GET", `api/proposals/${id}/start`),
  propose: (body) => call("POST", "api/proposals", body),
  cancel: (id) => call("POST", `api/proposals/${id}/cancel`, {}),
  solveAgain: (id) => call("POST", `api/proposals/${id}/solve`, {}),
  vote: (id, vote, note = "") => call("POST", `api/proposals/${id}/votes`, { vote, note }),
  adopt: (id) => call("POST", `api/proposals/${id}/adopt`, {}),
  ranges: (id) => call("GET", `api/proposals/${id}/ranges`),
  askRanges: (id, body) => call("POST", `api/proposals/${id}/ranges`, body),
  alternatives: (id) => call("GET", `api/proposals/${id}/alternatives`),
  askAlternatives: (id, body) => call("POST", `api/proposals/${id}/alternatives`, body),
};

/** Download one of a proposal's files (CSV, scenario, run folder) with the token in the header. */
export async function download(id, name) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const response = await fetch(url(`api/proposals/${id}/${name}`), { headers });
  if (!response.ok) throw new ApiError(response.status, `${response.status}: ${await response.text()}`);
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `proposal-${id}-${name}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

/** The WebSocket address of the table's events (the token as a query parameter). */
export function eventsUrl() {
  const u = new URL(url("api/events"));
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  if (token) u.searchParams.set("token", token);
  return u.toString();
}
