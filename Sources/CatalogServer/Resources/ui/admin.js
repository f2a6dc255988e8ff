// The other pages: credentials (names and which values are set, never the values), teams and
// keys (a new key is shown once), the cost map (searchable, reloadable), the fleet (every
// replica's and subscriber's seq and lag) and a config import (plan, then apply). Each offers
// only what the signed-in key may do.

import { api, current, errorNote, fill, h, money, session, when, withProgress } from "./api.js";
import { diffList } from "./model.js";

function table(id, caption, headings, rows) {
  return h("div", { class: "table-wrap" },
    h("table", { id }, h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headings.map((title) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, rows)));
}

function field(id, label, control, hint) {
  if (hint) control.setAttribute("aria-describedby", `${id}-hint`);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("p", { id: `${id}-hint`, class: "hint" }, hint) : null);
}

/** A small form: its fields, a submit button, and where its result or error goes. */
function smallForm(id, title, fields, submitLabel, onSubmit) {
  const result = h("div", { id: `${id}-result`, "aria-live": "polite" });
  const button = h("button", { type: "submit" }, submitLabel);
  const form = h("form", { id, class: "panel", novalidate: true }, h("h3", {}, title), ...fields, button, result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      await onSubmit(result);
    } catch (error) {
      result.replaceChildren(errorNote(error));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// MARK: Credentials

export async function renderCredentials(view) {
  const { body } = await api("/credentials");
  const credentials = body.credentials ?? [];
  const name = h("input", { id: "credential-name", autocomplete: "off", required: true });
  const provider = h("input", { id: "credential-provider", autocomplete: "off", placeholder: "openai" });
  const key = h("input", { id: "credential-key", type: "password", autocomplete: "new-password" });
  const base = h("input", { id: "credential-base", autocomplete: "off", placeholder: "https://…" });
  fill(view, 
    h("h2", {}, "Credentials"),
    h("p", { class: "hint" }, "Values are never shown: only which ones are set. Models use a credential by naming it in litellm_params.litellm_credential_name."),
    table("credentials", `${credentials.length} credentials`, ["Name", "Provider", "Team", "Values set", "Version", "Updated"],
      credentials.map((c) => h("tr", {},
        h("td", {}, c.credential_name),
        h("td", {}, c.credential_info?.custom_llm_provider ?? "—"),
        h("td", {}, c.credential_info?.team_id ?? "shared"),
        h("td", {}, Object.keys(c.credential_values ?? {}).sort().join(", ") || "none"),
        h("td", { class: "num" }, c.version ?? "—"),
        h("td", {}, when(c.updated_at))))),
    session.may("create_credentials") ? smallForm("new-credential", "Add a credential", [
      field("credential-name", "Name", name), field("credential-provider", "Provider", provider),
      field("credential-key", "api_key (secret)", key, "Sent once, stored sealed, never shown again."),
      field("credential-base", "api_base", base),
    ], "Add the credential", async () => {
      const values = {};
      if (key.value) values.api_key = key.value;
      if (base.value.trim()) values.api_base = base.value.trim();
      const info = { custom_llm_provider: provider.value.trim() || undefined };
      if (session.principal?.team_id) info.team_id = session.principal.team_id;
      await api("/credentials", { body: { credential_name: name.value.trim(), credential_info: info, credential_values: values } });
      key.value = "";
      await renderCredentials(view);
    }) : null);
}

// MARK: Teams and keys

export async function renderTeams(view) {
  const [teams, keys] = await Promise.all([
    api("/team/list").then((r) => r.body).catch(() => []),
    api("/key/list?return_full_object=true&size=100").then((r) => r.body),
  ]);
  const ownTeam = session.principal?.team_id ?? null;
  const teamID = h("input", { id: "team-id", autocomplete: "off", required: true });
  const alias = h("input", { id: "key-alias", autocomplete: "off" });
  const roles = ownTeam ? ["tenant_member", "tenant_admin"] : ["personal", "tenant_member", "tenant_admin", "gateway", "admin"];
  const role = h("select", { id: "key-role" }, roles.map((r) => h("option", { value: r }, r)));
  const keyTeam = h("input", { id: "key-team", autocomplete: "off", value: ownTeam ?? "", readonly: ownTeam !== null, placeholder: "none" });
  const created = h("div", { id: "created-key", "aria-live": "polite" });

  async function deleteKey(record) {
    try {
      await api("/key/delete", { body: { keys: [record.token] } });
      await renderTeams(view);
    } catch (error) {
      created.replaceChildren(errorNote(error));
    }
  }

  fill(view, 
    h("h2", {}, "Teams and keys"),
    table("teams", `${teams.length} teams`, ["Team", "Alias", "Models", "Created"],
      teams.map((t) => h("tr", {}, h("td", {}, t.team_id), h("td", {}, t.team_alias ?? "—"),
        h("td", {}, (t.models ?? []).join(", ") || "every model"), h("td", {}, when(t.created_at))))),
    session.may("manage_teams") ? smallForm("new-team", "Add a team", [field("team-id", "Team id", teamID)], "Add the team", async () => {
      await api("/team/new", { body: { team_id: teamID.value.trim() } });
      await renderTeams(view);
    }) : null,
    h("h3", {}, "Keys"),
    created,
    table("keys", `${keys.total_count} keys${keys.total_count > keys.keys.length ? ` (the first ${keys.keys.length})` : ""}`,
      ["Alias", "Role", "Team", "Models", "Expires", "Token", ""],
      keys.keys.map((k) => h("tr", {}, h("td", {}, k.key_alias ?? "—"), h("td", {}, k.role), h("td", {}, k.team_id ?? "—"),
        h("td", {}, (k.models ?? []).join(", ") || "all"), h("td", {}, k.expires ? when(k.expires) : "never"),
        h("td", {}, h("code", {}, k.token)),
        h("td", {}, session.may("manage_keys")
          ? h("button", { type: "button", class: "quiet", "aria-label": `Delete key ${k.key_alias ?? k.token}`, onclick: () => deleteKey(k) }, "Delete")
          : null)))),
    session.may("manage_keys") ? smallForm("new-key", "Create a key", [
      field("key-alias", "Alias", alias), field("key-role", "Role", role),
      field("key-team", "Team", keyTeam, ownTeam ? "Your key's team." : "Required for tenant roles; optional for a gateway key."),
    ], "Create the key", async (result) => {
      const body = { role: role.value };
      if (alias.value.trim()) body.key_alias = alias.value.trim();
      if (keyTeam.value.trim()) body.team_id = keyTeam.value.trim();
      const { body: made } = await api("/key/generate", { body });
      await renderTeams(view);
      // Shown once: the API never shows a key's text again, and this page keeps it nowhere.
      $created(view).replaceChildren(h("div", { class: "panel", role: "status" },
        h("p", {}, "The new key, shown this once: copy it now."),
        h("output", { id: "new-key-text" }, made.key)));
      result.replaceChildren();
    }) : null);
}

const $created = (view) => view.querySelector("#created-key");

// MARK: Cost map

let costMapCache = null;

export async function renderCostMap(view) {
  const search = h("input", { id: "cost-search", type: "search", placeholder: "gpt-4o, claude, bedrock/…" });
  const body = h("tbody");
  const caption = h("caption", {}, "Loading the cost map…");
  const region = h("div", { id: "reload-status", "aria-live": "polite" });
  const reload = h("button", { type: "button", id: "reload" }, "Reload the cost map");
  const overrides = h("div", { id: "overrides" });
  fill(view, 
    h("h2", {}, "Cost map"),
    session.may("change_cost_map") ? h("div", { class: "actions" }, reload, region) : null,
    overrides,
    h("div", { class: "toolbar" }, field("cost-search", "Search", search)),
    h("div", { class: "table-wrap" }, h("table", { id: "cost-map" }, caption,
      h("thead", {}, h("tr", {}, ["Key", "Provider", "Mode", "Input / 1M", "Output / 1M", "Context window"].map((t) => h("th", { scope: "col" }, t)))),
      body)));

  async function load(force = false) {
    if (!costMapCache || force) {
      const response = await fetch("/public/litellm_model_cost_map");
      const map = await response.json();
      costMapCache = Object.entries(map).filter(([key]) => key !== "sample_spec");
    }
    const { body: listed } = await api("/cost_map/overrides?drift=true").catch(() => ({ body: { data: [] } }));
    const items = listed.data ?? [];
    fill(overrides, items.length ? table("price-overrides", `${items.length} price overrides (they win over the map)`, ["Key", "Prices", "Upstream moved"],
      items.map((o) => h("tr", {}, h("td", {}, o.model), h("td", {}, JSON.stringify(o.prices)), h("td", {}, o.pricing_drift ? "yes" : "no")))) : []);
    show();
  }
  function show() {
    const text = search.value.trim().toLowerCase();
    const found = text ? costMapCache.filter(([key]) => key.toLowerCase().includes(text)) : costMapCache;
    body.replaceChildren(...found.slice(0, 100).map(([key, entry]) => h("tr", {},
      h("td", {}, key), h("td", {}, entry.litellm_provider ?? "—"), h("td", {}, entry.mode ?? "—"),
      h("td", { class: "num" }, money(entry.input_cost_per_token)), h("td", { class: "num" }, money(entry.output_cost_per_token)),
      h("td", { class: "num" }, entry.max_input_tokens ?? "—"))));
    caption.textContent = `${found.length} of ${costMapCache.length} entries${found.length > 100 ? " (the first 100 shown)" : ""}`;
  }
  let timer = null;
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(show, 150); });
  reload.addEventListener("click", async () => {
    const result = await withProgress(reload, region, "Reloading the cost map", () => api("/reload/model_cost_map", { method: "POST" }));
    if (result) {
      region.append(h("p", { role: "status" }, `${result.body.entries} entries from ${result.body.source}.`));
      await load(true);
    }
  });
  current.listener = (event) => { if (event.entity === "cost_map") load(true); };
  await load();
}

// MARK: Fleet

export async function renderFleet(view) {
  const replicas = h("div", { id: "replicas" });
  const subscribers = h("div", { id: "subscribers" });
  const seq = h("p", { id: "fleet-seq", class: "hint" });
  fill(view, h("h2", {}, "Fleet"),
    h("p", { class: "hint" }, "Every catalog replica that reported in the last 10 s, and every change-stream subscriber (gateways), with the seq each has and its lag behind the change log. Refreshed every 2 s."),
    seq, replicas, subscribers);
  async function load() {
    try {
      const { body } = await api("/fleet");
      seq.textContent = `The change log is at seq ${body.seq}.`;
      replicas.replaceChildren(table("fleet-replicas", `${body.replicas.length} replicas`, ["Replica", "Host", "PID", "Applied seq", "Lag", "Subscribers", "Seen"],
        body.replicas.map((r) => h("tr", {}, h("td", {}, h("code", {}, r.replica_id.slice(0, 8))), h("td", {}, r.host), h("td", { class: "num" }, r.pid),
          h("td", { class: "num" }, r.applied_seq), h("td", { class: "num" }, r.lag), h("td", { class: "num" }, r.subscribers), h("td", {}, when(r.seen_at))))));
      subscribers.replaceChildren(table("fleet-subscribers", `${body.subscribers.length} stream subscribers`, ["Replica", "Role", "Team", "View", "Delivered seq", "Lag", "Connected"],
        body.subscribers.map((s) => h("tr", {}, h("td", {}, h("code", {}, String(s.replica_id).slice(0, 8))), h("td", {}, s.role), h("td", {}, s.team_id ?? "—"),
          h("td", {}, s.view), h("td", { class: "num" }, s.delivered_seq), h("td", { class: "num" }, s.lag), h("td", {}, when(s.connected_at))))));
    } catch (error) {
      replicas.replaceChildren(errorNote(error));
    }
  }
  await load();
  const timer = setInterval(load, 2000);
  current.cleanup = () => clearInterval(timer);
}

// MARK: Import a config

export async function renderImport(view) {
  const yaml = h("textarea", { id: "config-yaml", rows: 14, spellcheck: "false", placeholder: "model_list:\n  - model_name: gpt-4o\n    litellm_params:\n      model: openai/gpt-4o" });
  const file = h("input", { id: "config-file", type: "file", accept: ".yaml,.yml,.json" });
  const plan = h("button", { type: "button", id: "plan" }, "Plan the import");
  const region = h("div", { id: "plan-status", "aria-live": "polite" });
  const result = h("div", { id: "plan-result" });
  file.addEventListener("change", async () => { if (file.files[0]) yaml.value = await file.files[0].text(); });
  fill(view, h("h2", {}, "Import a config"),
    h("p", { class: "hint" }, "Paste a LiteLLM config.yaml (or choose the file). Planning changes nothing: it shows what the import would do, and Apply makes exactly that, unless a model it names changed since."),
    field("config-file", "Config file", file), field("config-yaml", "Config (YAML)", yaml),
    h("div", { class: "actions" }, plan, region), result);

  plan.addEventListener("click", async () => {
    const planned = await withProgress(plan, region, "Planning", () => api("/config/plan", { body: yaml.value }));
    if (!planned) return;
    const p = planned.body;
    const apply = h("button", { type: "button", id: "apply" }, "Apply this plan");
    const applied = h("div", { id: "apply-status", "aria-live": "polite" });
    const item = (entry) => h("li", {}, `${entry.id} (${entry.model_name})${entry.team_id ? `, team ${entry.team_id}` : ""}`, entry.diff ? diffList(entry.diff) : null);
    fill(result, 
      h("h3", {}, "Plan"),
      h("p", { id: "plan-summary" }, `${p.summary.added} to add, ${p.summary.changed} to change, ${p.summary.kept_deleted} kept deleted, ${p.summary.unchanged} unchanged.`),
      p.added.length ? [h("h4", {}, "Added"), h("ul", {}, p.added.map(item))] : null,
      p.changed.length ? [h("h4", {}, "Changed"), h("ul", {}, p.changed.map(item))] : null,
      p.kept_deleted.length ? [h("h4", {}, "Kept deleted"), h("ul", {}, p.kept_deleted.map(item))] : null,
      h("div", { class: "actions" }, apply, applied));
    apply.addEventListener("click", async () => {
      const done = await withProgress(apply, applied, "Applying", () => api("/config/apply", { body: { plan_id: p.plan_id } }));
      if (done) {
        apply.disabled = true;
        applied.append(h("p", { role: "status" }, "Applied."));
      }
    });
  });
}
