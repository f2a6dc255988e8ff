// What every page of the admin page shares: elements, the API client, the signed-in key's
// permissions and the change stream. The key lives in sessionStorage only (never a URL, a cookie
// or localStorage), and every request sends it in the Authorization header. No secret reaches
// this page: the API redacts them all, and this code never asks for the routing view.

export const KEY = "modelcatalog.key";
export const $ = (selector, root = document) => root.querySelector(selector);

/** Elements made from a tag, attributes and children (text is never parsed as HTML). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "value") element.value = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces `element`'s children, skipping the absent ones (an action the key may not take). */
export function fill(element, ...children) {
  element.replaceChildren(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
}

/** An API error in LiteLLM's shape, with its status, the field it names and (412) the current ETag. */
export class APIError extends Error {
  constructor(status, body, etag) {
    super(body?.error?.message ?? body?.detail?.error ?? `HTTP ${status}`);
    this.status = status;
    this.param = body?.error?.param ?? null;
    this.etag = etag;
  }
}

/**
 * One API call. `body`: an object sent as JSON, or a string sent as it is (a YAML config);
 * `ifMatch`: the ETag the write is held to.
 */
export async function api(path, { method, body, ifMatch } = {}) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(KEY)}`, Accept: "application/json" };
  if (ifMatch) headers["If-Match"] = ifMatch;
  let payload;
  if (typeof body === "string") {
    payload = body;
    headers["Content-Type"] = "application/yaml";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, { method: method ?? (body === undefined ? "GET" : "POST"), headers, body: payload });
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = { error: { message: text } }; }
  const etag = response.headers.get("ETag");
  if (!response.ok) throw new APIError(response.status, parsed, etag);
  return { body: parsed, etag };
}

// MARK: The signed-in key

/** Who signed in: `/key/info` about the key itself, with the permissions the policy gives it. */
export const session = {
  principal: null,
  /** Whether the API lets this key do `name` (AccessPolicy.offers): the page offers nothing else. */
  may(name) { return this.principal?.permissions?.[name] === true; },
  /** Whether this key may edit, block, restore or delete a model of `team` (null: shared). */
  mayChangeModel(team) { return this.may(team ? "change_team_models" : "change_shared_models"); },
};

// MARK: Formatting

export const money = (perToken) =>
  typeof perToken === "number" ? `$${(perToken * 1e6).toFixed(perToken * 1e6 < 1 ? 3 : 2)}` : "—";

export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** An alert that says what went wrong, next to what the user did. */
export function errorNote(error) {
  return h("p", { class: "error", role: "alert" }, error.message ?? String(error));
}

/**
 * Runs a long operation from `button`: the button is disabled and says it is working, a live
 * region counts the seconds, and the result (or the error) replaces it.
 */
export async function withProgress(button, region, label, operation) {
  const started = performance.now();
  const original = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = `${label}…`;
  region.replaceChildren(h("progress", { "aria-label": label }), h("span", {}, ` ${label}…`));
  const tick = setInterval(() => {
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    region.lastChild.textContent = ` ${label}… ${seconds} s`;
  }, 1000);
  try {
    const result = await operation();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    region.replaceChildren(h("p", { class: "ok", role: "status" }, `Done in ${seconds} s.`));
    return result;
  } catch (error) {
    region.replaceChildren(errorNote(error));
    return undefined;
  } finally {
    clearInterval(tick);
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = original;
  }
}

// MARK: Live changes

/** Follows /catalog/stream with fetch (EventSource cannot send the key in a header). */
export const stream = {
  controller: null,
  listeners: new Set(),
  lastSeq: null,
  state: "connecting",
  start() {
    if (this.controller) return;
    this.controller = new AbortController();
    this.run(this.controller.signal);
  },
  stop() {
    this.controller?.abort();
    this.controller = null;
    this.lastSeq = null;
  },
  async run(signal) {
    let delay = 500;
    while (!signal.aborted) {
      try {
        const headers = { Authorization: `Bearer ${sessionStorage.getItem(KEY)}` };
        if (this.lastSeq !== null) headers["Last-Event-ID"] = String(this.lastSeq);
        const response = await fetch("/catalog/stream?include_cost_map=false", { headers, signal });
        if (response.status === 410) this.lastSeq = null;
        if (!response.ok) throw new Error(`stream: HTTP ${response.status}`);
        this.setState("live");
        delay = 500;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            this.dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        if (signal.aborted) return;
      }
      this.setState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5000);
    }
  },
  setState(state) {
    this.state = state;
    const marker = $("#live");
    if (marker) marker.textContent = state === "live" ? "Live: changes show as they happen" : "Reconnecting to live changes…";
  },
  dispatch(block) {
    let id = null;
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("id:")) id = line.slice(3).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    if (id !== null) this.lastSeq = Number(id);
    if (data.length === 0) return;
    const event = JSON.parse(data.join("\n"));
    for (const listener of this.listeners) listener(event);
  },
};

/** Model ids changed by someone else while this tab is open, with the version they reached. */
export const changedElsewhere = new Map();
/** Versions this tab wrote itself: their events are not "elsewhere". */
export const ownWrites = new Set();

stream.listeners.add((event) => {
  if (event.entity !== "model" || !event.id) return;
  const version = event.object?.model_info?.version ?? null;
  if (version !== null && ownWrites.has(`${event.id}@${version}`)) return;
  changedElsewhere.set(event.id, { version, op: event.op, at: Date.now() });
});

/** The listener of the page on screen for change-stream events: each page sets its own. */
export const current = { listener: null };
stream.listeners.add((event) => current.listener?.(event));

/** Whether this tab itself wrote model `id` at `version`. */
export const isOwnWrite = (id, version) => ownWrites.has(`${id}@${version}`);

/** Remembers that this tab wrote `id` at `etag` (`"7"`), so its own event is not marked. */
export function rememberOwnWrite(id, etag) {
  const version = etag ? Number(etag.replaceAll('"', "")) : null;
  if (version === null) return;
  ownWrites.add(`${id}@${version}`);
  // Its event may have arrived before the response did.
  if (changedElsewhere.get(id)?.version === version) changedElsewhere.delete(id);
}
