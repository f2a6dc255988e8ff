// ModelCatalog's admin page: a client of the public API, with the key the user enters.
// The key lives in sessionStorage only (never a URL, a cookie or localStorage), and every
// request sends it in the Authorization header. No secret reaches this page: the API redacts
// them all, and this code never asks for the routing view.

const KEY = "modelcatalog.key";
const THEME = "modelcatalog.theme";
const $ = (selector, root = document) => root.querySelector(selector);

/** Elements made from a tag, attributes and children (text is never parsed as HTML). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** An API error in LiteLLM's shape, with its status. */
class APIError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.param = body?.error?.param ?? null;
  }
}

async function api(path, options = {}) {
  const key = sessionStorage.getItem(KEY);
  const response = await fetch(path, {
    ...options,
    headers: { ...(options.headers ?? {}), Authorization: `Bearer ${key}`, Accept: "application/json" },
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) throw new APIError(response.status, body);
  return { body, etag: response.headers.get("ETag") };
}

// MARK: Theme

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  const button = $("#theme");
  button.setAttribute("aria-pressed", String(theme === "dark"));
  button.textContent = theme === "dark" ? "Light theme" : "Dark theme";
}

function setUpTheme() {
  const saved = localStorage.getItem(THEME);
  const preferred = matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  applyTheme(saved ?? preferred);
  $("#theme").addEventListener("click", () => {
    const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    localStorage.setItem(THEME, next);
    applyTheme(next);
  });
}

// MARK: Signing in

let principal = null;

/** Who the key is (401: not a valid key): its role, team and alias. */
async function whoAmI() {
  const { body } = await api("/key/info");
  return body.info ?? {};
}

async function signIn(key) {
  sessionStorage.setItem(KEY, key);
  try {
    principal = await whoAmI();
    return true;
  } catch (error) {
    sessionStorage.removeItem(KEY);
    throw error;
  }
}

function signOut() {
  sessionStorage.removeItem(KEY);
  principal = null;
  stream.stop();
  location.hash = "";
  render();
}

function showLogin(message) {
  $("#nav").hidden = true;
  $("#who").hidden = true;
  $("#signout").hidden = true;
  $("#view").replaceChildren();
  $("#login").hidden = false;
  const error = $("#login-error");
  error.hidden = !message;
  error.textContent = message ?? "";
  $("#key").focus();
}

function setUpLogin() {
  $("#login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("#key");
    const key = input.value.trim();
    if (!key) return showLogin("Enter a key.");
    try {
      await signIn(key);
      input.value = "";
      render();
    } catch (error) {
      input.value = "";
      showLogin(error.status === 401 ? "This key is not valid." : error.message);
    }
  });
  $("#signout").addEventListener("click", signOut);
}

// MARK: Live changes

/** Follows /catalog/stream with fetch (EventSource cannot send the key in a header). */
const stream = {
  controller: null,
  listeners: new Set(),
  lastSeq: null,
  start() {
    if (this.controller) return;
    this.controller = new AbortController();
    this.run(this.controller.signal);
  },
  stop() {
    this.controller?.abort();
    this.controller = null;
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
        setLive("live");
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
      } catch (error) {
        if (signal.aborted) return;
      }
      setLive("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5000);
    }
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

function setLive(state) {
  const marker = $("#live");
  if (marker) marker.textContent = state === "live" ? "Live: changes show as they happen" : "Reconnecting to live changes…";
}

// MARK: Models

const money = (perToken) => (typeof perToken === "number" ? `$${(perToken * 1e6).toFixed(perToken * 1e6 < 1 ? 3 : 2)}` : "—");

function modelRow(entry, changed) {
  const info = entry.model_info ?? {};
  const id = info.id;
  return h("tr", { "data-id": id, class: changed ? "changed" : null },
    h("td", {}, h("a", { href: `#/models/${encodeURIComponent(id)}` }, entry.model_name)),
    h("td", {}, info.litellm_provider ?? "—"),
    h("td", {}, info.team_id ?? "shared"),
    h("td", { class: "num" }, money(info.input_cost_per_token)),
    h("td", { class: "num" }, money(info.output_cost_per_token)),
    h("td", { class: "num" }, info.max_input_tokens ?? "—"),
    h("td", {}, info.blocked ? h("span", { class: "tag blocked" }, "blocked") : "no"),
    h("td", {}, info.db_model === false ? "config" : "API"));
}

const modelsState = { page: 1, size: 50, search: "", versions: new Map() };

async function renderModels(view) {
  const search = h("input", { id: "search", type: "search", value: modelsState.search, placeholder: "name or model" });
  const size = h("select", { id: "size" }, [25, 50, 100, 200].map((n) => h("option", { value: n, selected: n === modelsState.size }, n)));
  const body = h("tbody");
  const caption = h("caption", {}, "Loading…");
  const previous = h("button", { type: "button", class: "quiet", id: "previous" }, "Previous page");
  const next = h("button", { type: "button", class: "quiet", id: "next" }, "Next page");
  const status = h("span", { id: "page-status" });
  view.replaceChildren(
    h("h2", {}, "Models"),
    h("p", { id: "live", class: "live", "aria-live": "polite" }, "Connecting to live changes…"),
    h("div", { class: "toolbar" },
      h("div", {}, h("label", { for: "search" }, "Search"), search),
      h("div", {}, h("label", { for: "size" }, "Per page"), size)),
    h("div", { class: "table-wrap" },
      h("table", { id: "models" }, caption,
        h("thead", {}, h("tr", {}, ["Name", "Provider", "Team", "Input / 1M", "Output / 1M", "Context window", "Blocked", "Source"]
          .map((title) => h("th", { scope: "col" }, title)))),
        body)),
    h("div", { class: "pager" }, previous, status, next));

  let timer = null;
  async function load(highlight = false) {
    const query = new URLSearchParams({ page: modelsState.page, size: modelsState.size });
    if (modelsState.search) query.set("search", modelsState.search);
    try {
      const { body: page } = await api(`/v2/model/info?${query}`);
      const rows = page.data.map((entry) => {
        const id = entry.model_info?.id;
        const version = entry.model_info?.version;
        const changed = highlight && modelsState.versions.has(id) && modelsState.versions.get(id) !== version;
        modelsState.versions.set(id, version);
        return modelRow(entry, changed);
      });
      body.replaceChildren(...rows);
      caption.textContent = `${page.total_count} deployments`;
      status.textContent = `Page ${page.current_page} of ${Math.max(page.total_pages, 1)}`;
      previous.disabled = page.current_page <= 1;
      next.disabled = page.current_page >= page.total_pages;
    } catch (error) {
      caption.textContent = error.message;
    }
  }
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { modelsState.search = search.value.trim(); modelsState.page = 1; load(); }, 250);
  });
  size.addEventListener("change", () => { modelsState.size = Number(size.value); modelsState.page = 1; load(); });
  previous.addEventListener("click", () => { modelsState.page -= 1; load(); });
  next.addEventListener("click", () => { modelsState.page += 1; load(); });
  let pending = null;
  viewListener = (event) => {
    if (event.entity !== "model" && event.entity !== "catalog") return;
    clearTimeout(pending);
    pending = setTimeout(() => load(true), 200);
  };
  await load();
}

async function renderModel(view, id) {
  view.replaceChildren(h("p", {}, "Loading…"));
  try {
    const [{ body: info }, { body: history }] = await Promise.all([
      api(`/model/info?litellm_model_id=${encodeURIComponent(id)}`),
      api(`/model/history?model_id=${encodeURIComponent(id)}`).catch(() => ({ body: { data: [] } })),
    ]);
    const entry = info.data[0];
    const modelInfo = entry.model_info;
    const provenance = modelInfo.price_provenance ?? {};
    view.replaceChildren(
      h("p", {}, h("a", { href: "#/models" }, "← Models")),
      h("h2", {}, entry.model_name),
      h("dl", { class: "kv" },
        h("dt", {}, "Id"), h("dd", {}, modelInfo.id),
        h("dt", {}, "Version"), h("dd", {}, modelInfo.version),
        h("dt", {}, "Team"), h("dd", {}, modelInfo.team_id ?? "shared"),
        h("dt", {}, "Provider"), h("dd", {}, modelInfo.litellm_provider ?? "—"),
        ...Object.keys(provenance).sort().flatMap((field) => [
          h("dt", {}, field), h("dd", {}, `${modelInfo[field]} (${provenance[field]})`),
        ])),
      h("h3", {}, "litellm_params"),
      h("pre", {}, JSON.stringify(entry.litellm_params, null, 2)),
      h("h3", {}, "History"),
      h("ol", { id: "history" }, (history.data ?? []).map((change) =>
        h("li", {}, `${change.changed_at} — ${change.op} by ${change.changed_by ?? "SQL"} (version ${change.version})`,
          h("ul", {}, (change.diff ?? []).map((d) => h("li", {}, `${d.field}: ${JSON.stringify(d.before ?? null)} → ${JSON.stringify(d.after ?? null)}`)))))));
  } catch (error) {
    view.replaceChildren(h("p", { class: "error", role: "alert" }, error.message), h("p", {}, h("a", { href: "#/models" }, "← Models")));
  }
}

// MARK: Routing

let viewListener = null;
stream.listeners.add((event) => viewListener?.(event));

async function render() {
  if (!sessionStorage.getItem(KEY)) return showLogin();
  if (!principal) {
    try {
      principal = await whoAmI();
    } catch (error) {
      sessionStorage.removeItem(KEY);
      return showLogin(error.status === 401 ? "Your key is no longer valid: sign in again." : error.message);
    }
  }
  $("#login").hidden = true;
  $("#nav").hidden = false;
  $("#signout").hidden = false;
  const who = $("#who");
  who.hidden = false;
  who.textContent = `${principal.key_alias ?? principal.role ?? "key"}${principal.team_id ? ` · team ${principal.team_id}` : ""}`;
  stream.start();
  viewListener = null;
  const view = $("#view");
  const [, section, id] = (location.hash || "#/models").split("/");
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (section === "models" && id) await renderModel(view, decodeURIComponent(id));
  else await renderModels(view);
}

setUpTheme();
setUpLogin();
addEventListener("hashchange", render);
render();
