// The models page: /v2/model/info a page at a time, narrowed and sorted by the server (so it stays
// fast at 100,000 deployments), live from the change stream.

import { api, changedElsewhere, current, fill, h, money, session } from "./api.js";

const MODES = ["chat", "completion", "embedding", "image_generation", "audio_transcription", "audio_speech", "rerank", "moderation", "responses"];
const PROVIDERS = ["openai", "azure", "anthropic", "bedrock", "vertex_ai", "gemini", "mistral", "deepseek", "groq", "cohere", "ollama", "together_ai"];
const SORTS = [
  ["", "Catalog order"], ["model_name", "Name"], ["costs", "Price (input + output)"], ["provider", "Provider"],
  ["team_id", "Team"], ["context_window", "Context window"], ["created_at", "Created"], ["updated_at", "Updated"],
  ["status", "Source (config first)"],
];
const SOURCES = { config: "config", api: "API", sql: "SQL" };

/** The page's query, kept while the user visits a model and comes back. */
const state = { page: 1, size: 50, search: "", provider: "", mode: "", team: "", sortBy: "", sortOrder: "asc" };
/** Each listed model's version when last shown, to mark the rows that changed. */
const versions = new Map();
/** A first page asked for before the page knew who signed in: { query, response }. */
let prefetched = null;

/** The query of the page `state` describes; the team filter only for a key that reads every team. */
function pageQuery(readsEveryTeam) {
  const query = new URLSearchParams({ page: state.page, size: state.size });
  if (state.search) query.set("search", state.search);
  if (state.provider) query.set("provider", state.provider);
  if (state.mode) query.set("mode", state.mode);
  if (state.team && readsEveryTeam) query.set("team_id", state.team);
  if (state.sortBy) {
    query.set("sortBy", state.sortBy);
    query.set("sortOrder", state.sortOrder);
  }
  return query.toString();
}

/**
 * Asks for the page the models page will show first, while the key's own details are still on
 * their way: the two requests go out together instead of one after the other.
 */
export function prefetchModels() {
  const query = pageQuery(!state.team);
  const response = api(`/v2/model/info?${query}`);
  response.catch(() => {});  // a refused key is handled by the sign-in, not here
  prefetched = { query, response };
}

function modelRow(entry) {
  const info = entry.model_info ?? {};
  const id = info.id;
  const elsewhere = changedElsewhere.has(id);
  return h("tr", { "data-id": id, class: elsewhere ? "elsewhere" : null },
    h("td", {}, h("a", { href: `#/models/${encodeURIComponent(id)}` }, entry.model_name),
      elsewhere ? h("span", { class: "tag changed", title: "Changed by someone else since you opened the page" }, "changed elsewhere") : null),
    h("td", {}, info.litellm_provider ?? "—"),
    h("td", {}, info.team_id ?? "shared"),
    h("td", { class: "num" }, money(info.input_cost_per_token)),
    h("td", { class: "num" }, money(info.output_cost_per_token)),
    h("td", { class: "num" }, info.max_input_tokens ?? "—"),
    h("td", {}, info.blocked ? h("span", { class: "tag blocked" }, "blocked") : "no"),
    h("td", {}, SOURCES[info.catalog_source] ?? (info.db_model === false ? "config" : "API")));
}

function field(id, label, control) {
  return h("div", {}, h("label", { for: id }, label), control);
}

function choice(id, options, selected) {
  return h("select", { id }, options.map(([value, label]) => h("option", { value, selected: value === selected }, label)));
}

/** Renders the page into `view`, following the change stream while it is on screen. */
export async function renderModels(view) {
  const search = h("input", { id: "search", type: "search", value: state.search, placeholder: "name or model" });
  const provider = h("input", { id: "provider", type: "search", value: state.provider, list: "providers", placeholder: "any" });
  const mode = choice("mode", [["", "any"], ...MODES.map((m) => [m, m])], state.mode);
  const team = h("input", { id: "team", type: "search", value: state.team, placeholder: "any" });
  const sortBy = choice("sort", SORTS, state.sortBy);
  const sortOrder = choice("order", [["asc", "ascending"], ["desc", "descending"]], state.sortOrder);
  const size = choice("size", [25, 50, 100, 200].map((n) => [String(n), String(n)]), String(state.size));
  const body = h("tbody");
  const caption = h("caption", {}, "Loading…");
  const previous = h("button", { type: "button", class: "quiet", id: "previous" }, "Previous page");
  const next = h("button", { type: "button", class: "quiet", id: "next" }, "Next page");
  const status = h("span", { id: "page-status" });
  // A tenant admin sees its own team and the shared models: no team filter to offer.
  const readsEveryTeam = !session.principal?.team_id;
  fill(view, 
    h("div", { class: "heading" },
      h("h2", {}, "Models"),
      session.may("create_models") ? h("a", { class: "button", href: "#/models/new", id: "add-model" }, "Add a model") : null),
    h("p", { id: "live", class: "live", "aria-live": "polite" }, "Connecting to live changes…"),
    h("datalist", { id: "providers" }, PROVIDERS.map((p) => h("option", { value: p }))),
    h("form", { class: "toolbar", role: "search", onsubmit: (event) => event.preventDefault() },
      field("search", "Search", search),
      field("provider", "Provider", provider),
      field("mode", "Mode", mode),
      readsEveryTeam ? field("team", "Team", team) : null,
      field("sort", "Sort by", sortBy),
      field("order", "Order", sortOrder),
      field("size", "Per page", size)),
    h("div", { class: "table-wrap" },
      h("table", { id: "models" }, caption,
        h("thead", {}, h("tr", {}, ["Name", "Provider", "Team", "Input / 1M", "Output / 1M", "Context window", "Blocked", "Source"]
          .map((title) => h("th", { scope: "col" }, title)))),
        body)),
    h("div", { class: "pager" }, previous, status, next));

  let generation = 0;
  async function load(highlight = false) {
    const mine = ++generation;
    const query = pageQuery(readsEveryTeam);
    const early = prefetched?.query === query && !highlight ? prefetched.response : null;
    prefetched = null;
    try {
      const { body: page } = await (early ?? api(`/v2/model/info?${query}`));
      if (mine !== generation) return;  // a newer query is on its way
      const rows = page.data.map((entry) => {
        const row = modelRow(entry);
        const { id, version } = entry.model_info ?? {};
        if (highlight && versions.has(id) && versions.get(id) !== version) row.classList.add("changed");
        versions.set(id, version);
        return row;
      });
      body.replaceChildren(...rows);
      caption.textContent = `${page.total_count} deployments`;
      status.textContent = `Page ${page.current_page} of ${Math.max(page.total_pages, 1)}`;
      previous.disabled = page.current_page <= 1;
      next.disabled = page.current_page >= page.total_pages;
    } catch (error) {
      if (mine === generation) caption.textContent = error.message;
    }
  }

  let timer = null;
  const typed = (input, key) => input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { state[key] = input.value.trim(); state.page = 1; load(); }, 250);
  });
  typed(search, "search");
  typed(provider, "provider");
  typed(team, "team");
  const chosen = (select, key, convert = (v) => v) => select.addEventListener("change", () => {
    state[key] = convert(select.value);
    state.page = 1;
    load();
  });
  chosen(mode, "mode");
  chosen(sortBy, "sortBy");
  chosen(sortOrder, "sortOrder");
  chosen(size, "size", Number);
  previous.addEventListener("click", () => { state.page -= 1; load(); });
  next.addEventListener("click", () => { state.page += 1; load(); });

  let pending = null;
  current.listener = (event) => {
    if (event.entity !== "model" && event.entity !== "catalog" && event.entity !== "cost_map") return;
    clearTimeout(pending);
    pending = setTimeout(() => load(true), 200);
  };
  await load();
}
