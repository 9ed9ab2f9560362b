// Calls to the server: JSON endpoints, and POST /ask read as Server-Sent Events over fetch.
// When the server needs an API token, the first call it refuses asks for the token once (a small dialog);
// the token is kept for this browser tab's session and sent with every call after.

import { el } from "./dom.js";
import { label } from "./i18n.js";

const TOKEN_KEY = "qapair.token";

/** An error the server described: {"error": {"message", "type", "param"}}. */
export class ApiError extends Error {
  constructor(message, { status = 0, type = null, param = null } = {}) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
  }
}

export async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's page, say): fall back to the status line
  }
  const error = body && body.error;
  const message = (error && error.message) || `HTTP ${response.status} ${response.statusText}`.trim();
  return new ApiError(message, { status: response.status, type: error && error.type, param: error && error.param });
}

/** The headers every call carries: the API token, when the user gave one this session. */
export function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

let asking = null; // one dialog at a time, however many calls were refused

/** Ask the user for the server's API token; resolves true when one was given. */
function askForToken(refused) {
  asking ??= new Promise((resolve) => {
    const input = el("input", { type: "password", id: "token-input", autocomplete: "current-password",
      "data-testid": "token-input" });
    const form = el("form", { method: "dialog" },
      label(el("p", { className: "token-title" }), refused ? "tokenWrong" : "tokenNeeded"),
      label(el("label", { for: "token-input" }), "tokenLabel"), input,
      el("div", { className: "row end" },
        label(el("button", { type: "submit", value: "cancel", className: "ghost" }), "cancel"),
        label(el("button", { type: "submit", value: "ok", className: "primary", "data-testid": "token-ok" }), "tokenOk")));
    const dialog = el("dialog", { className: "token-dialog", "data-testid": "token-dialog" }, form);
    document.body.append(dialog);
    dialog.addEventListener("close", () => {
      const token = dialog.returnValue === "ok" ? input.value.trim() : "";
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      dialog.remove();
      asking = null;
      resolve(Boolean(token));
    });
    dialog.showModal();
  });
  return asking;
}

/** fetch() with the token; a 401 asks for the token (once per refusal) and tries again. */
export async function authFetch(url, init = {}) {
  for (;;) {
    const response = await fetch(url, { ...init, headers: { ...(init.headers || {}), ...authHeaders() } });
    if (response.status !== 401) return response;
    const refused = Boolean(sessionStorage.getItem(TOKEN_KEY));
    sessionStorage.removeItem(TOKEN_KEY);
    if (!(await askForToken(refused))) return response;
  }
}

/** Send a request; resolve with the JSON body (null for 204), reject with an ApiError. */
export async function request(method, url, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await authFetch(url, init);
  if (!response.ok) throw await errorFrom(response);
  return response.status === 204 ? null : response.json();
}

/** Split a stream of bytes into SSE frames {event, data}. */
async function* frames(stream) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = parseFrame(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (frame) yield frame;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function parseFrame(text) {
  let event = "message";
  const data = [];
  for (const line of text.split("\n")) {
    if (line.startsWith(":")) continue; // a comment, e.g. a keep-alive
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length ? { event, data: data.join("\n") } : null;
}

/**
 * POST /ask with stream: true. Calls onDelta(text) for each piece, onReask(message) when the model is asked
 * again (the deltas after it are a new reply), and resolves with the `done` result.
 * Rejects with an ApiError (a non-2xx answer or an `error` event), or an AbortError when `signal` fires.
 */
export async function streamAsk(body, { signal, onDelta, onReask }) {
  const response = await authFetch("/ask", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify({ ...body, stream: true }),
    signal,
  });
  if (!response.ok) throw await errorFrom(response);
  for await (const { event, data } of frames(response.body)) {
    const payload = JSON.parse(data);
    if (event === "delta") onDelta(payload.text || "");
    else if (event === "reask") onReask(payload.message || "");
    else if (event === "done") return payload;
    else if (event === "error") {
      const error = payload.error || {};
      throw new ApiError(error.message || "Generation failed.", { type: error.type, param: error.param });
    }
  }
  throw new ApiError("", { type: "incomplete" });
}
