"""The admin page (/ui) in a real headless Chromium, driven by Playwright for Python.

Run by AdminPageTests (swift test) against a live `model-catalog serve` with the reference config
and 1,000 more deployments. Arguments: BASE_URL MASTER_KEY CONNINFO ARTIFACTS_DIR.

Each check fails the run with a message; a JavaScript error or a failed request logged by the
page fails it too. Screenshots of each page, desktop and phone width, light and dark, are written
to ARTIFACTS_DIR. axe-core (bundled by axe-playwright-python) must find no serious or critical
violation on any page.
"""

from __future__ import annotations

import json
import sys
import urllib.request
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
        page.on("console", lambda message: message.type == "error" and self.problems.append(f"console: {message.text}"))
        page.on("pageerror", lambda error: self.problems.append(f"exception: {error}"))
        page.on("response", lambda response: response.status >= 400
                and self.problems.append(f"HTTP {response.status} {response.url}"))

    def check(self, where: str) -> None:
        assert not self.problems, f"{where}: the page logged problems: {self.problems}"


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

        # A tenant admin's page shows its team's models and the shared ones, never another team's.
        token = api("/key/generate", MASTER, {"team_id": "team-a", "role": "tenant_admin", "key_alias": "ui-a"})["key"]
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        watch = Watch(page)
        sign_in(page, token)
        expect(page.locator("#models caption")).to_have_text("1051 deployments")
        page.get_by_label("Search").fill("team-model")
        expect(rows := page.locator("#models tbody tr")).to_have_count(1)
        expect(rows.first).to_contain_text("team-a")
        assert "team-b" not in page.content(), "another team's model reached a tenant admin's page"
        expect(page.locator("#who")).to_contain_text("team team-a")
        watch.check("tenant admin session")
        context.close()
        browser.close()
    print("admin page checks passed")


if __name__ == "__main__":
    main()
