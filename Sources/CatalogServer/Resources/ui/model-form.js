// Adding and editing a model. An edit sends only what the user changed (PATCH), held to the
// version the form was opened at (If-Match): a 412 shows what changed meanwhile and lets the user
// reapply their changes on top, or discard them. A secret is never shown: the form says whether
// it is set and lets the user replace it. The API's validation errors appear next to the field
// their `param` names.

import { api, current, errorNote, fill, h, isOwnWrite, rememberOwnWrite, session } from "./api.js";
import { diffList, flash } from "./model.js";

/** The form's plain fields: their `param` (as the API names it in errors), label and type. */
const FIELDS = [
  { name: "model_name", param: "model_name", label: "Model name (what clients ask for)", required: true },
  { name: "model", param: "litellm_params.model", label: "LiteLLM model (provider/model)", required: true, placeholder: "openai/gpt-4o" },
  { name: "api_base", param: "litellm_params.api_base", label: "API base URL", placeholder: "https://…" },
  { name: "api_version", param: "litellm_params.api_version", label: "API version" },
  { name: "rpm", param: "litellm_params.rpm", label: "Requests per minute", type: "number" },
  { name: "tpm", param: "litellm_params.tpm", label: "Tokens per minute", type: "number" },
  { name: "input_cost_per_token", param: "litellm_params.input_cost_per_token", label: "Input price per token (USD; empty: the cost map's)", type: "number" },
  { name: "output_cost_per_token", param: "litellm_params.output_cost_per_token", label: "Output price per token (USD; empty: the cost map's)", type: "number" },
];
/** The plain fields of `litellm_params` other than `model` (which is required, never removed). */
const PARAM_FIELDS = FIELDS.filter((f) => f.param.startsWith("litellm_params.") && f.name !== "model").map((f) => f.name);
/** Secret parameters the form always offers; any other the model has set is offered too. */
const SECRETS = ["api_key"];

/** The values a form starts from: from the model as read, or empty for a new one. */
function initialValues(entry) {
  const params = { ...(entry?.litellm_params ?? {}) };
  const info = entry?.model_info ?? {};
  const secretNames = info.secret_params ?? [];
  const values = { model_name: entry?.model_name ?? "", team: info.team_id ?? "", access_groups: (info.access_groups ?? []).join(", ") };
  for (const name of PARAM_FIELDS) {
    values[name] = params[name] === undefined || params[name] === null || secretNames.includes(name) ? "" : String(params[name]);
    delete params[name];
  }
  values.model = String(params.model ?? "");
  delete params.model;
  for (const name of secretNames) delete params[name];
  values.other = Object.keys(params).length ? JSON.stringify(params, null, 2) : "";
  return { values, secretNames };
}

function typed(field, text) {
  if (text === "") return undefined;
  if (field?.type === "number") {
    const number = Number(text);
    return Number.isFinite(number) ? number : text;  // the API names a bad number
  }
  return text;
}

export async function renderModelForm(view, id) {
  const editing = id !== null;
  let entry = null, etag = null;
  if (editing) {
    try {
      const read = await api(`/model/info?litellm_model_id=${encodeURIComponent(id)}`);
      [entry, etag] = [read.body.data[0], read.etag];
    } catch (error) {
      fill(view, errorNote(error), h("p", {}, h("a", { href: "#/models" }, "← Models")));
      return;
    }
  }
  let { values: base, secretNames } = initialValues(entry);
  let baseVersion = entry?.model_info?.version ?? null;
  const ownTeam = session.principal?.team_id ?? null;

  const inputs = {};
  const errors = {};
  const formError = h("div", { id: "form-error", "aria-live": "assertive" });
  const banner = h("div", { id: "elsewhere", "aria-live": "polite" });
  const conflict = h("div", { id: "conflict", class: "panel", hidden: true, tabindex: "-1" });

  function row(name, param, label, control, hint) {
    const errorID = `${name}-error`;
    errors[param] = h("p", { id: errorID, class: "error field-error", hidden: true });
    control.setAttribute("aria-describedby", [hint ? `${name}-hint` : null, errorID].filter(Boolean).join(" "));
    control.dataset.param = param;
    return h("div", { class: "field" }, h("label", { for: name }, label), control,
      hint ? h("p", { id: `${name}-hint`, class: "hint" }, hint) : null, errors[param]);
  }

  // A parameter holding a secret (an api_base with a password in it) is offered as a secret below.
  const fields = FIELDS.filter((f) => !secretNames.includes(f.name)).map((f) => {
    inputs[f.name] = h("input", { id: f.name, name: f.name, type: f.type === "number" ? "text" : "text", inputmode: f.type === "number" ? "decimal" : null,
      required: f.required ?? false, placeholder: f.placeholder ?? null, autocomplete: "off", value: base[f.name] });
    return row(f.name, f.param, f.label, inputs[f.name]);
  });

  // The team: an admin places the model (empty: shared); a tenant admin's models are its team's.
  inputs.team = h("input", { id: "team", name: "team", value: editing ? base.team : (ownTeam ?? ""), readonly: ownTeam !== null,
    placeholder: "shared", autocomplete: "off" });
  const teamRow = row("team", "model_info.team_id", "Team", inputs.team, ownTeam ? "Your key's team." : "A team id; empty for a model every team shares.");
  inputs.access_groups = h("input", { id: "access_groups", name: "access_groups", value: base.access_groups, autocomplete: "off" });
  const groupsRow = row("access_groups", "model_info.access_groups", "Access groups", inputs.access_groups, "Comma-separated.");

  // Secrets: "set" or "not set", and a way to replace; the value is never shown.
  const secretRows = [...new Set([...SECRETS, ...secretNames])].map((name) => {
    const isSet = secretNames.includes(name);
    const input = h("input", { id: `secret-${name}`, name, type: "password", autocomplete: "new-password", spellcheck: "false",
      hidden: isSet, placeholder: isSet ? "new value" : "" });
    inputs[`secret:${name}`] = input;
    const state = h("span", { class: "secret-state", id: `secret-${name}-state` }, isSet ? "set" : "not set");
    const replace = isSet ? h("button", { type: "button", class: "quiet", onclick: () => {
      input.hidden = false;
      replace.hidden = true;
      input.focus();
    } }, `Replace ${name}`) : null;
    const param = `litellm_params.${name}`;
    errors[param] = h("p", { id: `secret-${name}-error`, class: "error field-error", hidden: true });
    input.setAttribute("aria-describedby", `secret-${name}-state secret-${name}-error`);
    input.dataset.param = param;
    return h("div", { class: "field secret" }, h("label", { for: `secret-${name}` }, `${name} (secret)`),
      h("p", { class: "hint" }, "Status: ", state), replace, input, errors[param]);
  });

  inputs.other = h("textarea", { id: "other", name: "other", rows: 6, spellcheck: "false" });
  inputs.other.value = base.other;
  const otherRow = row("other", "litellm_params", "Other litellm_params (JSON object)", inputs.other,
    "Masked values (********) keep the stored secret. Remove a key to remove the parameter.");

  const save = h("button", { type: "submit", id: "save" }, editing ? "Save changes" : "Add the model");
  const form = h("form", { id: "model-form", novalidate: true }, formError, ...fields, teamRow, groupsRow, ...secretRows, otherRow,
    h("div", { class: "actions" }, save, " ",
      h("a", { href: editing ? `#/models/${encodeURIComponent(id)}` : "#/models", class: "button quiet" }, "Cancel")));

  fill(view, 
    h("p", {}, h("a", { href: editing ? `#/models/${encodeURIComponent(id)}` : "#/models" }, editing ? `← ${entry.model_name}` : "← Models")),
    h("h2", {}, editing ? `Edit ${entry.model_name}` : "Add a model"),
    editing ? h("p", { class: "hint" }, `Editing version ${baseVersion}. Saving is held to it: a change made meanwhile is shown before anything is overwritten.`) : null,
    banner, conflict, form);

  function clearErrors() {
    formError.replaceChildren();
    for (const element of Object.values(errors)) { element.hidden = true; element.textContent = ""; }
    for (const input of Object.values(inputs)) input.removeAttribute("aria-invalid");
  }

  /** Shows the API's error next to the field its `param` names (or the closest one), else on top. */
  function showError(error) {
    const param = error.param ?? "";
    const candidates = [param, param.split(".").slice(0, 2).join("."), param.startsWith("litellm_params.") ? "litellm_params" : null];
    const target = candidates.find((p) => p && errors[p]);
    if (!target) return formError.replaceChildren(errorNote(error));
    errors[target].textContent = error.message;
    errors[target].hidden = false;
    const input = Object.values(inputs).find((i) => i.dataset.param === target);
    input?.setAttribute("aria-invalid", "true");
    input?.focus();
  }

  /** What the user changed, as a PATCH body (edit) or the whole /model/new body (add). */
  function changes() {
    const body = { litellm_params: {}, model_info: {} };
    const remove = [];
    const now = (name) => inputs[name].value.trim();
    if (!editing || now("model_name") !== base.model_name) body.model_name = now("model_name");
    if (!editing || now("model") !== base.model) body.litellm_params.model = now("model");
    for (const name of PARAM_FIELDS) {
      if (!inputs[name] || (editing && now(name) === base[name])) continue;
      const value = typed(FIELDS.find((f) => f.name === name), now(name));
      if (value === undefined) { if (editing) remove.push(name); } else body.litellm_params[name] = value;
    }
    for (const [key, input] of Object.entries(inputs)) {
      if (key.startsWith("secret:") && input.value !== "") body.litellm_params[key.slice(7)] = input.value;
    }
    const otherText = inputs.other.value.trim();
    if (otherText !== base.other.trim()) {
      let other = {};
      if (otherText) {
        try { other = JSON.parse(otherText); } catch { throw Object.assign(new Error("This is not valid JSON."), { param: "litellm_params" }); }
        if (typeof other !== "object" || Array.isArray(other) || other === null) {
          throw Object.assign(new Error("Other litellm_params must be a JSON object."), { param: "litellm_params" });
        }
      }
      const before = base.other ? JSON.parse(base.other) : {};
      for (const [key, value] of Object.entries(other)) {
        if (JSON.stringify(value) !== JSON.stringify(before[key])) body.litellm_params[key] = value;
      }
      for (const key of Object.keys(before)) if (!(key in other)) remove.push(key);
    }
    if (ownTeam) {
      if (!editing) body.model_info.team_id = ownTeam;
    } else if (!editing || now("team") !== base.team) {
      if (editing || now("team")) body.model_info.team_id = now("team") || null;
    }
    if (!editing || now("access_groups") !== base.access_groups) {
      const groups = now("access_groups").split(",").map((g) => g.trim()).filter(Boolean);
      if (editing || groups.length) body.model_info.access_groups = groups;
    }
    if (remove.length) body.litellm_params_to_remove = remove;
    if (!Object.keys(body.litellm_params).length) delete body.litellm_params;
    if (!Object.keys(body.model_info).length) delete body.model_info;
    return body;
  }

  async function submit(body) {
    clearErrors();
    save.disabled = true;
    save.setAttribute("aria-busy", "true");
    try {
      const result = editing
        ? await api(`/model/${encodeURIComponent(id)}/update`, { method: "PATCH", body, ifMatch: etag })
        : await api("/model/new", { body });
      const savedID = result.body?.model_info?.id ?? id;
      rememberOwnWrite(savedID, result.etag);
      for (const [key, input] of Object.entries(inputs)) if (key.startsWith("secret:")) input.value = "";
      flash.message = editing ? "Saved." : "Added.";
      location.hash = `#/models/${encodeURIComponent(savedID)}`;
    } catch (error) {
      if (error.status === 412) await showConflict(body);
      else showError(error);
    } finally {
      save.disabled = false;
      save.removeAttribute("aria-busy");
    }
  }

  /** A 412: what changed since the form's version, and the choice to reapply or discard. */
  async function showConflict(body) {
    let changesSince = [];
    let latest = null;
    try {
      const [history, read] = await Promise.all([
        api(`/model/history?model_id=${encodeURIComponent(id)}`).catch(() => ({ body: { data: [] } })),
        api(`/model/info?litellm_model_id=${encodeURIComponent(id)}`),
      ]);
      changesSince = (history.body.data ?? []).filter((change) => change.version > baseVersion);
      latest = read;
    } catch (error) {
      conflict.hidden = false;
      conflict.replaceChildren(errorNote(error));
      return;
    }
    const version = latest.body.data[0].model_info.version;
    conflict.hidden = false;
    fill(conflict, 
      h("h3", {}, "This model changed while you were editing it"),
      h("p", {}, `You started from version ${baseVersion}; it is now version ${version}. Nothing of yours was saved. What changed:`),
      changesSince.length
        ? h("ol", { id: "conflict-changes" }, changesSince.map((change) =>
          h("li", {}, `version ${change.version}, ${change.op} by ${change.changed_by ?? "SQL"}`, diffList(change.diff))))
        : h("p", {}, "(The change log no longer holds the details.)"),
      h("div", { class: "actions" },
        h("button", { type: "button", id: "reapply", onclick: async () => {
          etag = latest.etag;
          baseVersion = version;
          conflict.hidden = true;
          banner.replaceChildren();
          await submit(body);
        } }, "Reapply my changes on top"), " ",
        h("button", { type: "button", class: "quiet", id: "discard", onclick: () => renderModelForm(view, id) }, "Discard my changes")));
    conflict.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    let body;
    try {
      body = changes();
    } catch (error) {
      return showError(error);
    }
    if (editing && Object.keys(body).length === 0) {
      formError.replaceChildren(h("p", { role: "status" }, "Nothing changed."));
      return;
    }
    await submit(body);
  });

  current.listener = editing ? (event) => {
    if (event.entity !== "model" || event.id !== id) return;
    const now = event.object?.model_info?.version;
    if (event.op === "upsert" && (now === baseVersion || isOwnWrite(id, now))) return;
    banner.replaceChildren(h("p", { class: "warning", role: "status" },
      event.op === "delete"
        ? "This model was deleted elsewhere while you were editing it."
        : `Edited elsewhere: this model is now version ${now}. Saving will show what changed before anything is overwritten.`));
  } : null;
  inputs.model_name.focus();
}
