// A model's page: its redacted parameters, prices with their layer, which secrets are set (never
// their values), its history with diffs, and restore, block and delete, each held to the version
// shown (If-Match).

import { api, changedElsewhere, current, errorNote, fill, h, isOwnWrite, rememberOwnWrite, session, when } from "./api.js";

/** One line per changed field of a history entry or an import plan. */
export function diffList(diff) {
  return h("ul", { class: "diff" }, (diff ?? []).map((d) =>
    h("li", {}, h("code", {}, d.field), ` ${d.op ?? "changed"}: `,
      h("span", { class: "before" }, JSON.stringify(d.before ?? null)), " → ",
      h("span", { class: "after" }, JSON.stringify(d.after ?? null)))));
}

/** A message left for the next page (after a delete, a save), shown once. */
export const flash = { message: null };

export async function renderModel(view, id) {
  fill(view, h("p", {}, "Loading…"));
  let entry, etag, history;
  try {
    const info = await api(`/model/info?litellm_model_id=${encodeURIComponent(id)}`);
    [entry, etag] = [info.body.data[0], info.etag];
    // A shared model's history is for admins: a key that may not read it does not ask.
    history = session.may(entry.model_info.team_id ? "read_team_history" : "read_shared_history")
      ? (await api(`/model/history?model_id=${encodeURIComponent(id)}`)).body.data ?? []
      : null;
  } catch (error) {
    fill(view, errorNote(error), h("p", {}, h("a", { href: "#/models" }, "← Models")));
    return;
  }
  changedElsewhere.delete(id);  // seen now
  const modelInfo = entry.model_info;
  const version = modelInfo.version;
  const provenance = modelInfo.price_provenance ?? {};
  const secrets = modelInfo.secret_params ?? [];
  const mayChange = session.mayChangeModel(modelInfo.team_id);
  const status = h("div", { id: "action-status", "aria-live": "polite" });
  if (flash.message) {
    status.append(h("p", { class: "ok", role: "status" }, flash.message));
    flash.message = null;
  }
  const banner = h("div", { id: "elsewhere", "aria-live": "polite" });

  async function write(path, body, done) {
    try {
      const result = await api(path, { body, ifMatch: etag });
      rememberOwnWrite(id, result.etag);
      flash.message = done;
      return result;
    } catch (error) {
      status.replaceChildren(errorNote(error.status === 412
        ? new Error("Someone changed this model since you opened it: the page now shows the current version. Check it, then try again.")
        : error));
      if (error.status === 412) setTimeout(() => renderModel(view, id), 0);
      return null;
    }
  }

  const confirmation = h("div", { id: "confirm-delete", class: "panel", hidden: true },
    h("p", {}, `Delete ${entry.model_name}? Every gateway stops routing to it. Its history stays, and it can be restored.`),
    h("button", { type: "button", class: "danger", id: "confirm-delete-button", onclick: async () => {
      if (await write("/model/delete", { id }, `Deleted ${entry.model_name}.`)) location.hash = "#/models";
    } }, "Delete"), " ",
    h("button", { type: "button", class: "quiet", onclick: () => { confirmation.hidden = true; } }, "Cancel"));

  const actions = mayChange ? h("div", { class: "actions" },
    h("a", { class: "button", href: `#/models/${encodeURIComponent(id)}/edit` }, "Edit"),
    h("button", { type: "button", class: "quiet", onclick: async () => {
      const path = modelInfo.blocked ? "/model/unblock" : "/model/block";
      if (await write(path, { model_id: id }, modelInfo.blocked ? "Unblocked." : "Blocked.")) renderModel(view, id);
    } }, modelInfo.blocked ? "Unblock" : "Block"),
    h("button", { type: "button", class: "danger", id: "delete", onclick: () => {
      confirmation.hidden = false;
      confirmation.querySelector("button").focus();
    } }, "Delete")) : null;

  const restore = (change) => h("button", { type: "button", class: "quiet restore", "data-version": change.version, onclick: async () => {
    if (await write("/model/restore", { model_id: id, version: change.version }, `Restored version ${change.version}.`)) renderModel(view, id);
  } }, `Restore version ${change.version}`);

  fill(view, 
    h("p", {}, h("a", { href: "#/models" }, "← Models")),
    h("div", { class: "heading" }, h("h2", {}, entry.model_name), actions),
    status, banner, confirmation,
    h("dl", { class: "kv" },
      h("dt", {}, "Id"), h("dd", {}, modelInfo.id),
      h("dt", {}, "Version"), h("dd", { id: "version" }, version),
      h("dt", {}, "Team"), h("dd", {}, modelInfo.team_id ?? "shared"),
      h("dt", {}, "Provider"), h("dd", {}, modelInfo.litellm_provider ?? "—"),
      h("dt", {}, "Source"), h("dd", {}, modelInfo.catalog_source ?? "—"),
      h("dt", {}, "Blocked"), h("dd", {}, modelInfo.blocked ? "yes" : "no"),
      h("dt", {}, "Secrets"), h("dd", { id: "secrets" }, secrets.length ? secrets.map((name) => `${name}: set`).join(", ") : "none set"),
      ...Object.keys(provenance).sort().flatMap((field) => [
        h("dt", {}, field), h("dd", {}, `${modelInfo[field]} (${provenance[field]})`),
      ])),
    h("h3", {}, "litellm_params"),
    h("pre", { id: "params" }, JSON.stringify(entry.litellm_params, null, 2)),
    h("h3", {}, "History"),
    history === null ? h("p", { class: "hint" }, "The history of a shared model is for admins.") : h("ol", { id: "history" }, history.map((change) =>
      h("li", { "data-version": change.version },
        h("span", {}, `${when(change.changed_at)} — ${change.op} by ${change.changed_by ?? "SQL"} (version ${change.version})`),
        mayChange && change.after && change.version !== version ? [" ", restore(change)] : null,
        diffList(change.diff)))));

  current.listener = (event) => {
    if (event.entity !== "model" || event.id !== id) return;
    const now = event.object?.model_info?.version;
    if (event.op === "upsert" && (now === version || isOwnWrite(id, now))) return;
    banner.replaceChildren(h("p", { class: "warning", role: "status" },
      event.op === "delete" ? "This model was deleted elsewhere. " : `This model was changed elsewhere (now version ${now}). `,
      h("button", { type: "button", class: "quiet", onclick: () => renderModel(view, id) }, "Show the current version")));
  };
}
