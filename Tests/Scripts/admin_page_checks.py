"""The admin page (/ui) in a real headless Chromium, driven by Playwright for Python.

Run by AdminPageTests (swift test) against a live `model-catalog serve` with the reference config
and 1,000 more deployments. Arguments: BASE_URL MASTER_KEY CONNINFO ARTIFACTS_DIR.

Scenarios: sign in; list, filter, sort, search and page 1,052 deployments; add a model with a
literal secret (never in the DOM, in sessionStorage, in a network response or on the change
stream), with a validation error shown next to its field first; edit it; make two tabs conflict
(the row and the form marked as edited elsewhere, the 412 shown with what changed, then
reapplied); restore an earlier version; delete it; a plain-SQL write shown live; every other page
(credentials, teams and keys with a key shown once, the cost map searched and reloaded with
progress, the fleet, a config import planned and applied); keyboard only; a tenant admin sees and
manages only its team, and a member is offered no change.

Each check fails the run with a message; a JavaScript error or a failed request logged by the
page fails it too. Screenshots of each page, desktop and phone width, light and dark, are written
to ARTIFACTS_DIR. axe-core (bundled by axe-playwright-python) must find no serious or critical
violation on any page.
"""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect, sync_playwright

BASE, MASTER, CONNINFO, ARTIFACTS = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def api(path: str, key: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        BASE + path, method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


class Watch:
    """Every console error, uncaught exception and failed response of a page."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        #: Statuses a scenario provokes on purpose (a validation error, a conflict): each is
        #: allowed once, with the console line Chromium logs for it.
        self.expected: list[int] = []
        self.expected_console: list[int] = []
        self.responses: list = []
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.problems.append(f"exception: {error}"))
        page.on("response", self.response)

    def console(self, message) -> None:
        if message.type != "error":
            return
        code = next((c for c in self.expected_console if f"status of {c}" in message.text), None)
        if "Failed to load resource" in message.text and code is not None:
            self.expected_console.remove(code)
            return
        self.problems.append(f"console: {message.text}")

    def expect_failure(self, status: int) -> None:
        """The next response with `status` is provoked on purpose, and so is its console line."""
        self.expected.append(status)
        self.expected_console.append(status)

    def response(self, response) -> None:
        if "/catalog/stream" not in response.url:
            self.responses.append(response)
        if response.status >= 400:
            if response.status in self.expected:
                self.expected.remove(response.status)
            else:
                self.problems.append(f"HTTP {response.status} {response.url}")

    def bodies(self) -> str:
        """Every response body the page received so far (the stream apart: see STREAM_TAP)."""
        texts = []
        for response in self.responses:
            try:
                texts.append(response.text())
            except Exception:  # a body Chromium no longer holds (a preflight, a replaced document)
                continue
        return "\n".join(texts)

    def check(self, where: str) -> None:
        assert not self.problems, f"{where}: the page logged problems: {self.problems}"


# Copies what the page reads from /catalog/stream into window.__stream, so a check can look for a
# secret in the change stream too (the page reads it with fetch, which Playwright cannot read
# while it is open).
STREAM_TAP = """
(() => {
  const original = window.fetch;
  window.__stream = [];
  window.fetch = async (...args) => {
    const response = await original(...args);
    if (!String(args[0]).includes("/catalog/stream") || !response.body) return response;
    const [mine, theirs] = response.body.tee();
    (async () => {
      const reader = theirs.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) { const { value, done } = await reader.read(); if (done) break; window.__stream.push(value); }
    })().catch(() => {});
    return new Response(mine, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
})();
"""


def no_secret_anywhere(page: Page, watch: Watch, secret: str, where: str) -> None:
    """The secret is in no part of the page: DOM, form values, storage, responses, the stream."""
    content = page.content()
    assert secret not in content, f"{where}: the secret is in the DOM"
    values = page.evaluate("() => [...document.querySelectorAll('input, textarea, output')].map(e => e.value)")
    assert not any(secret in v for v in values), f"{where}: the secret is in a form field"
    storage = page.evaluate("() => JSON.stringify({session: {...sessionStorage}, local: {...localStorage}})")
    assert secret not in storage, f"{where}: the secret is in web storage"
    assert secret not in watch.bodies(), f"{where}: the secret is in a network response"
    assert secret not in "".join(page.evaluate("() => window.__stream ?? []")), f"{where}: the secret is on the change stream"


def sign_in(page: Page, key: str) -> None:
    page.goto(BASE + "/ui")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#models tbody tr").first).to_be_visible(timeout=15_000)


def accessible(page: Page, where: str) -> None:
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, f"{where}: axe found serious violations: " + json.dumps(
        [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:3]} for v in serious], indent=1)


def screenshots(page: Page, name: str) -> None:
    for theme in ("light", "dark"):
        page.evaluate("theme => { localStorage.setItem('modelcatalog.theme', theme); document.documentElement.dataset.theme = theme; }", theme)
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{size}-{theme}.png"), full_page=False)
    page.set_viewport_size(DESKTOP)
    page.evaluate("() => { localStorage.setItem('modelcatalog.theme', 'light'); document.documentElement.dataset.theme = 'light'; }")


def new_page(browser, key: str | None = None) -> tuple:
    """A fresh tab of its own (sessionStorage is per tab), watched, with the stream tapped."""
    context = browser.new_context(viewport=DESKTOP)
    context.add_init_script(STREAM_TAP)
    page = context.new_page()
    watch = Watch(page)
    if key:
        sign_in(page, key)
    return context, page, watch


def until(page: Page, predicate: str, what: str, seconds: float = 15) -> None:
    """Polls `predicate` in the page (the page's CSP forbids the eval `wait_for_function` uses)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        page.wait_for_timeout(100)


def filters_and_sort(page: Page) -> None:
    rows = page.locator("#models tbody tr")
    page.get_by_label("Provider").fill("anthropic")
    expect(page.locator("#models caption")).not_to_have_text("1052 deployments")
    providers = rows.locator("td:nth-child(2)").all_text_contents()
    assert providers and set(providers) == {"anthropic"}, f"filtered by provider: {set(providers)}"
    page.get_by_label("Provider").fill("")
    expect(page.locator("#models caption")).to_have_text("1052 deployments")
    page.get_by_label("Mode").select_option("embedding")
    expect(page.locator("#models caption")).not_to_have_text("1052 deployments")
    page.get_by_label("Mode").select_option("")
    page.get_by_label("Sort by").select_option("model_name")
    page.get_by_label("Order").select_option("desc")
    until(page, """() => {
        const names = [...document.querySelectorAll('#models tbody tr td:first-child a')].map(a => a.textContent.toLowerCase());
        return names.length > 1 && names.every((name, i) => i === 0 || names[i - 1] >= name);
    }""", "the rows sorted by name, descending")
    names = rows.locator("td:first-child a").all_text_contents()
    assert names == sorted(names, key=str.lower, reverse=True), f"sorted by name, descending: {names[:5]}"
    page.get_by_label("Sort by").select_option("")
    page.get_by_label("Order").select_option("asc")
    expect(page.locator("#models caption")).to_have_text("1052 deployments")


def model_lifecycle(browser, page: Page, watch: Watch) -> None:
    """Add (a validation error first), edit, conflict between two tabs, restore, delete."""
    secret = f"sk-ui-literal-{uuid.uuid4().hex}"
    page.goto(BASE + "/ui#/models")
    page.get_by_role("link", name="Add a model").click()
    expect(page.get_by_role("heading", name="Add a model")).to_be_visible()
    page.get_by_label("Model name").fill("ui-lifecycle")
    page.get_by_label("LiteLLM model").fill("openai/gpt-4o")
    page.get_by_label("api_key (secret)").fill(secret)
    page.get_by_label("Requests per minute").fill("lots")
    watch.expect_failure(400)
    page.get_by_role("button", name="Add the model").click()
    expect(page.locator("#rpm-error")).to_contain_text("litellm_params.rpm")
    expect(page.get_by_label("Requests per minute")).to_have_attribute("aria-invalid", "true")
    accessible(page, "the add form with an error")
    screenshots(page, "model-form")
    page.get_by_label("Requests per minute").fill("10")
    page.get_by_role("button", name="Add the model").click()
    expect(page.get_by_role("heading", name="ui-lifecycle")).to_be_visible()
    expect(page.locator("#secrets")).to_have_text("api_key: set")
    model_id = page.url.rsplit("/", 1)[-1]
    no_secret_anywhere(page, watch, secret, "after adding")

    # Edit: the secret says "set" and is not sent back; the change is saved.
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Requests per minute")).to_have_value("10")
    expect(page.locator("#secret-api_key-state")).to_have_text("set")
    page.get_by_label("Requests per minute").fill("20")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#version")).to_have_text("2")
    expect(page.locator("#params")).to_contain_text('"rpm": 20')

    # Two tabs: B lists the model and then edits it while A's form is open.
    context_b, page_b, watch_b = new_page(browser, MASTER)
    page_b.get_by_label("Search").fill("ui-lifecycle")
    expect(page_b.locator("#models tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Requests per minute")).to_have_value("20")
    page_b.locator(f"#models tbody tr[data-id='{model_id}'] a").click()
    page_b.get_by_role("link", name="Edit").click()
    page_b.get_by_label("Tokens per minute").fill("500")
    page_b.get_by_role("button", name="Save changes").click()
    expect(page_b.locator("#version")).to_have_text("3")
    expect(page.locator("#elsewhere")).to_contain_text("Edited elsewhere", timeout=15_000)
    page_b.get_by_role("link", name="← Models").click()
    expect(page_b.locator(f"#models tbody tr[data-id='{model_id}']")).to_be_visible()
    page.get_by_label("Requests per minute").fill("30")
    watch.expect_failure(412)
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#conflict")).to_be_visible()
    expect(page.locator("#conflict")).to_contain_text("version 3")
    expect(page.locator("#conflict-changes")).to_contain_text("litellm_params.tpm")
    accessible(page, "the conflict")
    screenshots(page, "conflict")
    page.get_by_role("button", name="Reapply my changes on top").click()
    expect(page.locator("#version")).to_have_text("4")
    expect(page.locator("#params")).to_contain_text('"rpm": 30')
    expect(page.locator("#params")).to_contain_text('"tpm": 500')
    # Tab B's list marks the row A changed.
    expect(page_b.locator(f"#models tbody tr[data-id='{model_id}'] .tag.changed")).to_have_text("changed elsewhere", timeout=15_000)
    watch_b.check("the second tab")
    context_b.close()

    # Restore version 2 (rpm 20, no tpm); the secret it had stays.
    page.locator("button.restore[data-version='2']").click()
    expect(page.locator("#version")).to_have_text("5")
    expect(page.locator("#params")).to_contain_text('"rpm": 20')
    expect(page.locator("#params")).not_to_contain_text("tpm")
    expect(page.locator("#secrets")).to_have_text("api_key: set")
    expect(page.locator("#history > li")).to_have_count(5)
    no_secret_anywhere(page, watch, secret, "after editing and restoring")

    # Delete, after a confirmation.
    page.locator("#delete").click()
    expect(page.locator("#confirm-delete")).to_be_visible()
    page.locator("#confirm-delete-button").click()
    expect(page.locator("#models")).to_be_visible()
    page.get_by_label("Search").fill("ui-lifecycle")
    expect(page.locator("#models caption")).to_have_text("0 deployments")
    page.get_by_label("Search").fill("")
    expect(page.locator("#models caption")).to_have_text("1052 deployments")
    no_secret_anywhere(page, watch, secret, "after deleting")


def other_pages(page: Page, watch: Watch) -> None:
    # Credentials: listed by name and which values are set, never the values.
    credential_secret = f"sk-ui-credential-{uuid.uuid4().hex}"
    page.goto(BASE + "/ui#/credentials")
    page.get_by_label("Name").fill("ui-credential")
    page.get_by_label("Provider").fill("openai")
    page.get_by_label("api_key (secret)").fill(credential_secret)
    page.get_by_role("button", name="Add the credential").click()
    expect(page.locator("#credentials tbody")).to_contain_text("ui-credential")
    expect(page.locator("#credentials tbody tr", has_text="ui-credential")).to_contain_text("api_key")
    no_secret_anywhere(page, watch, credential_secret, "credentials")
    accessible(page, "credentials")
    screenshots(page, "credentials")

    # Teams and keys: a new key is shown once.
    page.goto(BASE + "/ui#/teams")
    page.get_by_label("Team id").fill("team-ui")
    page.get_by_role("button", name="Add the team").click()
    expect(page.locator("#teams tbody")).to_contain_text("team-ui")
    page.get_by_label("Alias").fill("ui-made-key")
    page.get_by_label("Role").select_option("personal")
    page.get_by_role("button", name="Create the key").click()
    expect(page.locator("#new-key-text")).to_have_text(re.compile(r"^sk-"))
    expect(page.locator("#keys tbody")).to_contain_text("ui-made-key")
    accessible(page, "teams and keys")
    screenshots(page, "teams")
    page.goto(BASE + "/ui#/models")
    page.goto(BASE + "/ui#/teams")
    expect(page.locator("#keys tbody")).to_contain_text("ui-made-key")
    expect(page.locator("#new-key-text")).to_have_count(0)

    # The cost map: searched, then reloaded with progress and a result.
    page.goto(BASE + "/ui#/cost-map")
    expect(page.locator("#cost-map caption")).to_contain_text("entries", timeout=30_000)
    page.get_by_label("Search").fill("claude-sonnet-4-5")
    expect(page.locator("#cost-map tbody tr").first).to_contain_text("claude-sonnet-4-5")
    page.get_by_role("button", name="Reload the cost map").click()
    expect(page.locator("#reload-status")).to_contain_text("Done in", timeout=60_000)
    expect(page.locator("#reload-status")).to_contain_text("entries from")
    accessible(page, "cost map")
    screenshots(page, "cost-map")

    # The fleet: this replica, and this page's own stream subscription.
    page.goto(BASE + "/ui#/fleet")
    expect(page.locator("#fleet-replicas caption")).to_have_text("1 replicas", timeout=15_000)
    expect(page.locator("#fleet-subscribers tbody tr").first).to_be_visible()
    accessible(page, "fleet")
    screenshots(page, "fleet")

    # A config import: planned, then applied, with progress.
    page.goto(BASE + "/ui#/import")
    page.get_by_label("Config (YAML)").fill("model_list:\n  - model_name: ui-imported\n    litellm_params:\n      model: openai/gpt-4o-mini\n    model_info:\n      id: ui-imported-1\n")
    page.get_by_role("button", name="Plan the import").click()
    expect(page.locator("#plan-summary")).to_contain_text("1 to add", timeout=30_000)
    expect(page.locator("#plan-status")).to_contain_text("Done in")
    accessible(page, "import plan")
    screenshots(page, "import")
    page.get_by_role("button", name="Apply this plan").click()
    expect(page.locator("#apply-status")).to_contain_text("Applied.", timeout=30_000)
    page.goto(BASE + "/ui#/models")
    page.get_by_label("Search").fill("ui-imported")
    expect(page.locator("#models tbody tr")).to_have_count(1)
    page.get_by_label("Search").fill("")


def keyboard_only(browser) -> None:
    """Sign in and reach the add form with the keyboard alone; focus is visible on the way."""
    context, page, watch = new_page(browser)
    page.goto(BASE + "/ui")
    expect(page.locator("#key")).to_be_focused()
    page.keyboard.type(MASTER)
    page.keyboard.press("Enter")
    expect(page.locator("#models tbody tr").first).to_be_visible(timeout=15_000)
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => ({id: document.activeElement.id, outline: getComputedStyle(document.activeElement).outlineStyle})")
        assert focused["outline"] != "none", f"no visible focus on #{focused['id']}"
        if focused["id"] == "add-model":
            break
    else:
        raise AssertionError("the keyboard never reached 'Add a model'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Add a model")).to_be_visible()
    expect(page.get_by_label("Model name")).to_be_focused()
    watch.check("keyboard only")
    context.close()


def main() -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])

        # Signing in: a bad key is refused, next to the field; the key stays in sessionStorage only.
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        page.goto(BASE + "/ui")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        accessible(page, "sign-in page")
        screenshots(page, "sign-in")
        page.get_by_label("API key").fill("sk-not-a-key")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#login-error")).to_contain_text("not valid")
        watch = Watch(page)  # the refused key's 401 above is expected; from here on, nothing may fail
        page.get_by_label("API key").fill(MASTER)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#models caption")).to_have_text("1052 deployments", timeout=15_000)
        storage = page.evaluate("() => ({session: {...sessionStorage}, local: {...localStorage}, cookies: document.cookie})")
        assert storage["session"].get("modelcatalog.key") == MASTER, storage
        assert MASTER not in json.dumps(storage["local"]) and MASTER not in storage["cookies"], "the key left sessionStorage"
        assert MASTER not in page.url, "the key is in the URL"
        # A reload keeps the tab signed in (the first page is asked for beside the key's details).
        page.reload()
        expect(page.locator("#models caption")).to_have_text("1052 deployments", timeout=15_000)
        expect(page.locator("#who")).to_have_text("master key")

        # The models page: 50 rows a page, searched, paged.
        rows = page.locator("#models tbody tr")
        expect(rows).to_have_count(50)
        expect(page.locator("#page-status")).to_have_text("Page 1 of 22")
        accessible(page, "models page")
        screenshots(page, "models")
        page.get_by_role("button", name="Next page").click()
        expect(page.locator("#page-status")).to_have_text("Page 2 of 22")
        page.get_by_label("Per page").select_option("200")
        expect(rows).to_have_count(200)
        expect(page.locator("#page-status")).to_have_text("Page 1 of 6")
        page.get_by_label("Search").fill("bulk-0999")
        expect(rows).to_have_count(1)
        expect(page.locator("#models caption")).to_have_text("1 deployments")
        page.get_by_label("Search").fill("")
        expect(page.locator("#models caption")).to_have_text("1052 deployments")
        filters_and_sort(page)

        # Live: a plain-SQL write shows without a reload, its row marked.
        with psycopg.connect(CONNINFO, autocommit=True) as connection:
            connection.execute("UPDATE models SET model_name = 'renamed-by-sql' WHERE id = 'bulk-0001'")
        expect(page.locator("#models tbody tr[data-id='bulk-0001'] a")).to_have_text("renamed-by-sql", timeout=15_000)

        # A model's page: its history, with the SQL change in it.
        page.locator("#models tbody tr[data-id='bulk-0001'] a").click()
        expect(page.get_by_role("heading", name="renamed-by-sql")).to_be_visible()
        expect(page.locator("#history > li")).to_have_count(2)
        expect(page.locator("#history")).to_contain_text("model_name")
        # One with a literal secret (the reference config's dep-0000): redacted, prices with their layer.
        page.goto(BASE + "/ui#/models/dep-0000")
        expect(page.get_by_role("heading", name="gpt-4o-000")).to_be_visible()
        expect(page.locator("dl.kv")).to_contain_text("(cost_map)")
        content = page.content()
        assert "sk-test-123" not in content, "a secret reached the page"
        accessible(page, "model page")
        screenshots(page, "model")
        watch.check("admin session")
        context.close()

        context, page, watch = new_page(browser, MASTER)
        model_lifecycle(browser, page, watch)
        other_pages(page, watch)
        watch.check("admin pages")
        context.close()
        keyboard_only(browser)

        # A tenant admin's page shows its team's models and the shared ones, never another team's.
        token = api("/key/generate", MASTER, {"team_id": "team-a", "role": "tenant_admin", "key_alias": "ui-a"})["key"]
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        watch = Watch(page)
        sign_in(page, token)
        # 1,050 shared, its own team's one, and the shared model imported above; not team-b's.
        expect(page.locator("#models caption")).to_have_text("1052 deployments")
        page.get_by_label("Search").fill("team-model")
        expect(rows := page.locator("#models tbody tr")).to_have_count(1)
        expect(rows.first).to_contain_text("team-a")
        assert "team-b" not in page.content(), "another team's model reached a tenant admin's page"
        expect(page.locator("#who")).to_contain_text("team team-a")
        # What it may do is offered, and nothing else: its team's models can be edited, shared
        # ones cannot; no fleet, no import, no team filter.
        expect(page.get_by_role("link", name="Add a model")).to_be_visible()
        expect(page.locator("#nav a[data-section='fleet']")).to_be_hidden()
        expect(page.locator("#nav a[data-section='import']")).to_be_hidden()
        expect(page.locator("#team")).to_have_count(0)
        page.goto(BASE + "/ui#/models/team:team-a:m")
        expect(page.get_by_role("heading", name="team-model-a")).to_be_visible()
        expect(page.get_by_role("link", name="Edit")).to_be_visible()
        page.goto(BASE + "/ui#/models/dep-0000")
        expect(page.get_by_role("heading", name="gpt-4o-000")).to_be_visible()
        expect(page.get_by_role("link", name="Edit")).to_have_count(0)
        expect(page.locator("#delete")).to_have_count(0)
        # Its add form places the model in its team, without asking.
        page.goto(BASE + "/ui#/models/new")
        expect(page.get_by_label("Team")).to_have_value("team-a")
        expect(page.get_by_label("Team")).to_have_attribute("readonly", "")
        watch.check("tenant admin session")
        context.close()

        # A member reads and changes nothing: nothing to change is offered.
        member = api("/key/generate", MASTER, {"team_id": "team-a", "role": "tenant_member", "key_alias": "ui-member"})["key"]
        context, page, watch = new_page(browser, member)
        expect(page.get_by_role("link", name="Add a model")).to_have_count(0)
        page.goto(BASE + "/ui#/models/team:team-a:m")
        expect(page.get_by_role("heading", name="team-model-a")).to_be_visible()
        expect(page.get_by_role("link", name="Edit")).to_have_count(0)
        page.goto(BASE + "/ui#/teams")
        expect(page.locator("#new-key")).to_have_count(0)
        expect(page.locator("#new-team")).to_have_count(0)
        watch.check("member session")
        context.close()
        browser.close()
    print("admin page checks passed")


if __name__ == "__main__":
    main()
