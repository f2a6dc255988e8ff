// ModelCatalog's admin page: sign-in, the theme, and the router. A client of the public API with
// the key the user enters; the pages live in their own modules.

import { $, KEY, current, errorNote, session, stream } from "./api.js";
import { renderCostMap, renderCredentials, renderFleet, renderImport, renderTeams } from "./admin.js";
import { renderModel } from "./model.js";
import { renderModelForm } from "./model-form.js";
import { prefetchModels, renderModels } from "./models.js";

const THEME = "modelcatalog.theme";

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

/** Who the key is (401: not a valid key): its role, team, alias and permissions. */
async function whoAmI() {
  const response = await fetch("/key/info", { headers: { Authorization: `Bearer ${sessionStorage.getItem(KEY)}`, Accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw Object.assign(new Error(body?.error?.message ?? `HTTP ${response.status}`), { status: response.status });
  return body.info ?? {};
}

async function signIn(key) {
  sessionStorage.setItem(KEY, key);
  try {
    session.principal = await whoAmI();
  } catch (error) {
    sessionStorage.removeItem(KEY);
    throw error;
  }
}

function signOut() {
  sessionStorage.removeItem(KEY);
  session.principal = null;
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

// MARK: Routing

/** Each section: its page, and the permission it needs to be offered (none: every key). */
const SECTIONS = {
  models: { render: renderModels },
  credentials: { render: renderCredentials },
  teams: { render: renderTeams },
  "cost-map": { render: renderCostMap },
  fleet: { render: renderFleet, needs: "read_fleet" },
  import: { render: renderImport, needs: "plan_config" },
};

let rendering = 0;

async function render() {
  if (!sessionStorage.getItem(KEY)) return showLogin();
  if (!session.principal) {
    // A key kept from before (a reload, a new visit in this tab): the models list is asked for
    // at once, beside the key's details, rather than after them.
    if ((location.hash || "#/models") === "#/models") prefetchModels();
    try {
      session.principal = await whoAmI();
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
  const principal = session.principal;
  who.textContent = `${principal.key_alias ?? principal.role ?? "key"}${principal.team_id ? ` · team ${principal.team_id}` : ""}`;
  stream.start();
  current.cleanup?.();
  current.cleanup = null;
  current.listener = null;

  const [, name = "models", id, action] = (location.hash || "#/models").split("/");
  let section = SECTIONS[name] ? name : "models";
  if (SECTIONS[section].needs && !session.may(SECTIONS[section].needs)) section = "models";
  for (const link of document.querySelectorAll("#nav a")) {
    const needs = SECTIONS[link.dataset.section]?.needs;
    link.hidden = Boolean(needs) && !session.may(needs);
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const view = $("#view");
  const mine = ++rendering;
  try {
    if (section === "models" && id === "new") await renderModelForm(view, null);
    else if (section === "models" && id && action === "edit") await renderModelForm(view, decodeURIComponent(id));
    else if (section === "models" && id) await renderModel(view, decodeURIComponent(id));
    else await SECTIONS[section].render(view);
  } catch (error) {
    if (mine === rendering) view.replaceChildren(errorNote(error));
  }
  // A page's heading gets focus after navigation, so keyboard and screen-reader users land on it.
  const heading = view.querySelector("h2");
  if (mine === rendering && heading && (document.activeElement === document.body || document.activeElement === null)) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

setUpTheme();
setUpLogin();
addEventListener("hashchange", render);
render();
