#!/usr/bin/env python3
"""Drives a live ModelCatalog with LiteLLM's own Python client and CLI and checks each call's effect.

Used by Tests/CatalogServerTests/LiteLLMClientTests.swift against a running `model-catalog serve`
(LiteLLM 1.108.7, `litellm.proxy.client.Client` and the `litellm-proxy` CLI):

    CATALOG_CHECK_MASTER_KEY=sk-... CATALOG_CHECK_CREDENTIAL_SECRET=... \
        python litellm_client_checks.py --base-url http://127.0.0.1:4000 \
        --cli .build/litellm-venv/bin/litellm-proxy --report report.json

Every call of the client's `models`, `model_groups`, `keys`, `teams` and `credentials`, and the CLI's
`models`, `model-groups`, `keys`, `teams` and `credentials` commands, is checked for what it should
do (the model listed with its params, the key limited, the credential listed without its values),
each in a check of its own name. A check makes what it needs with plain HTTP (the catalog's own
API), so one failing call fails its own checks and not the others. The CLI runs as the
`litellm-proxy` program twice (its entry point, flags and environment variables); its other
commands run in this process through click's test runner on the same `cli` group the program
calls, since every start of the program imports all of litellm (seconds of CPU each).

The report (--report) is JSON: {"checks": [{"name", "ok", "detail"}], "registered": N}. A failing
check's detail says what was sent and what came back. No key text and no credential value is
written to the report or printed: every known secret, and anything shaped like a key, is redacted.
Exit status: 0 when every check passed, 1 when some failed, 2 when the run itself could not start.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

# Before litellm is imported: its import would otherwise fetch the cost map from GitHub (retrying
# for seconds without internet), and the CLI must not read a developer's ~/.litellm.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.setdefault("COLUMNS", "250")  # rich tables: no truncated model names
for _name in ("LITELLM_PROXY_URL", "LITELLM_PROXY_API_KEY"):
    os.environ.pop(_name, None)

import requests  # noqa: E402
import yaml  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from litellm.proxy.client import Client  # noqa: E402
from litellm.proxy.client.cli.main import cli as litellm_cli  # noqa: E402
from litellm.proxy.client.credentials import CredentialsManagementClient  # noqa: E402
from litellm.proxy.client.exceptions import NotFoundError  # noqa: E402
from litellm.proxy.client.keys import KeysManagementClient  # noqa: E402
from litellm.proxy.client.model_groups import ModelGroupsManagementClient  # noqa: E402
from litellm.proxy.client.models import ModelsManagementClient  # noqa: E402
from litellm.proxy.client.teams import TeamsManagementClient  # noqa: E402

# The CLI commands the issue names, each as its argv prefix: every one must be run by some check.
REQUIRED_CLI_COMMANDS = [
    "models list", "models info", "models get", "models add", "models update", "models delete", "models import",
    "model-groups list",
    "keys list", "keys generate", "keys info", "keys delete",
    "teams list",
    "credentials list", "credentials create", "credentials get", "credentials delete", "credentials update",
]
# The client's management classes: every public method of each must be called by some check.
CLIENT_CLASSES = {
    "models": ModelsManagementClient, "model_groups": ModelGroupsManagementClient, "keys": KeysManagementClient,
    "teams": TeamsManagementClient, "credentials": CredentialsManagementClient,
}


# ---------------------------------------------------------------------------------------------
# Redaction: no secret reaches the report.

class Redactor:
    """Replaces every registered secret, and anything shaped like an `sk-` key, in a text."""

    KEY_SHAPE = re.compile(r"sk-[A-Za-z0-9_\-]{6,}")

    def __init__(self) -> None:
        self.secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4:
            self.secrets.add(secret)

    def __call__(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "<redacted>")
        return self.KEY_SHAPE.sub("sk-<redacted>", text)


REDACT = Redactor()


# ---------------------------------------------------------------------------------------------
# Every HTTP exchange, the client's and ours, is recorded: a failing check shows what it sent and
# what came back, and the secret scan reads every response.

@dataclass
class Exchange:
    method: str
    url: str
    body: str
    status: int | None
    response: str

    def describe(self, limit: int = 700) -> str:
        sent = f"{self.method} {self.url}" + (f" {self.body[:limit]}" if self.body else "")
        got = f"{self.status} {self.response[:limit]}" + ("…" if len(self.response) > limit else "")
        return REDACT(f"  sent: {sent}\n  got:  {got}")


EXCHANGES: list[Exchange] = []
_original_send = requests.Session.send


def _recording_send(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
    body = request.body.decode("utf-8", "replace") if isinstance(request.body, bytes) else (request.body or "")
    try:
        response = _original_send(self, request, **kwargs)
    except Exception as error:
        EXCHANGES.append(Exchange(request.method or "?", request.url or "?", body, None, f"{type(error).__name__}: {error}"))
        raise
    # Key texts the server hands out are secrets from here on.
    if request.url and request.url.split("?")[0].endswith(("/key/generate", "/key/regenerate")):
        try:
            REDACT.add(response.json().get("key"))
        except Exception:
            pass
    EXCHANGES.append(Exchange(request.method or "?", request.url or "?", body, response.status_code, response.text))
    return response


requests.Session.send = _recording_send  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------
# Which client methods and CLI commands were used (the coverage check reads these).

CALLED_METHODS: set[str] = set()
RUN_CLI_COMMANDS: set[str] = set()


def _record_calls(area: str, cls: type) -> None:
    for name, function in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_"):
            continue

        def wrapper(self: Any, *args: Any, __name: str = name, __function: Callable = function, **kwargs: Any) -> Any:
            CALLED_METHODS.add(f"{area}.{__name}")
            return __function(self, *args, **kwargs)

        wrapper.__name__ = name
        setattr(cls, name, wrapper)


for _area, _cls in CLIENT_CLASSES.items():
    _record_calls(_area, _cls)


def required_methods() -> list[str]:
    return sorted(f"{area}.{name}" for area, cls in CLIENT_CLASSES.items()
                  for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_"))


# ---------------------------------------------------------------------------------------------
# Checks.

class CheckFailed(Exception):
    """A check's expectation did not hold; the message says which."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


@dataclass
class Result:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class CLIRun:
    argv: list[str]
    exit_code: int
    stdout: str
    stderr: str
    exception: str = ""

    def describe(self) -> str:
        parts = [f"  ran:  litellm-proxy {' '.join(self.argv)}", f"  exit: {self.exit_code}"]
        if self.exception:
            parts.append(f"  exception: {self.exception[-1500:]}")
        if self.stdout:
            parts.append(f"  stdout: {self.stdout[:1500]}")
        if self.stderr:
            parts.append(f"  stderr: {self.stderr[-1500:]}")
        return REDACT("\n".join(parts))


class Catalog:
    """The server under test: plain HTTP helpers, LiteLLM's client, and LiteLLM's CLI."""

    def __init__(self, base_url: str, master_key: str, cli_program: str, credential_secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.master_key = master_key
        self.cli_program = cli_program
        self.credential_secret = credential_secret
        self.client = Client(base_url=self.base_url, api_key=master_key, timeout=30)
        self.run_id = uuid.uuid4().hex[:8]
        self.cli_runs: list[CLIRun] = []
        self.home = tempfile.mkdtemp(prefix="litellm-cli-home-")
        os.environ["HOME"] = self.home  # the CLI's ~/.litellm/config.json: none
        self._fixtures: dict[str, Any] = {}

    def name(self, what: str) -> str:
        return f"lc-{what}-{self.run_id}"

    # Plain HTTP, through requests (recorded like the client's calls).
    def http(self, method: str, path: str, key: str | None = "master", body: Any = None) -> requests.Response:
        headers = {}
        token = self.master_key if key == "master" else key
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.base_url + path, headers=headers, json=body, timeout=30)

    def json_ok(self, method: str, path: str, key: str | None = "master", body: Any = None) -> Any:
        response = self.http(method, path, key, body)
        expect(response.status_code == 200, f"{method} {path} answered {response.status_code}, expected 200")
        try:
            return response.json()
        except ValueError:
            raise CheckFailed(f"{method} {path} did not answer JSON")

    def model_info(self, key: str | None = "master") -> list[dict[str, Any]]:
        data = self.json_ok("GET", "/model/info", key).get("data")
        expect(isinstance(data, list), "/model/info has no data list")
        return data

    def deployment(self, model_id: str) -> dict[str, Any] | None:
        return next((m for m in self.model_info() if (m.get("model_info") or {}).get("id") == model_id), None)

    def add_model(self, what: str, params: dict[str, Any] | None = None, info: dict[str, Any] | None = None) -> dict[str, Any]:
        """A deployment made with plain /model/new: `{"name", "id", ...}`."""
        name = self.name(what)
        body: dict[str, Any] = {"model_name": name, "litellm_params": params or {"model": "openai/gpt-4o-mini"}}
        if info:
            body["model_info"] = info
        created = self.json_ok("POST", "/model/new", body=body)
        model_id = (created.get("model_info") or {}).get("id")
        expect(isinstance(model_id, str) and model_id != "", "setup: /model/new gave no model_info.id")
        return {"name": name, "id": model_id}

    def team(self, what: str) -> str:
        team_id = self.name(what)
        self.json_ok("POST", "/team/new", body={"team_id": team_id, "team_alias": f"{team_id}-alias"})
        return team_id

    def team_key(self, team_id: str, alias: str | None = None) -> str:
        """A tenant key made with plain /key/generate (a team's key: on main before issue 12 too)."""
        body: dict[str, Any] = {"team_id": team_id}
        if alias:
            body["key_alias"] = alias
        created = self.json_ok("POST", "/key/generate", body=body)
        key = created.get("key")
        expect(isinstance(key, str) and key != "", "setup: /key/generate gave no key")
        return key

    def key_works(self, key: str) -> int:
        return self.http("GET", "/v1/models", key).status_code

    def fixture(self, name: str, make: Callable[[], Any]) -> Any:
        """Made once and shared; a failure is remembered and re-raised for every check that needs it."""
        if name not in self._fixtures:
            try:
                self._fixtures[name] = ("ok", make())
            except Exception as error:  # noqa: BLE001
                self._fixtures[name] = ("failed", f"{type(error).__name__}: {error}")
        state, value = self._fixtures[name]
        if state == "failed":
            raise CheckFailed(f"setup '{name}' failed: {value}")
        return value

    # The shared world most checks read: two shared models, a team with a model, another team with one.
    def world(self) -> dict[str, Any]:
        def make() -> dict[str, Any]:
            team = self.team("team")
            other = self.team("other-team")
            return {
                "shared_a": self.add_model("shared-a", {"model": "openai/gpt-4o", "api_base": "https://a.example/v1"}),
                "shared_b": self.add_model("shared-b", {"model": "openai/gpt-4o-mini"}),
                "team": team, "other_team": other,
                "team_model": self.add_model("team-model", {"model": "openai/gpt-4o"}, {"team_id": team}),
                "other_team_model": self.add_model("other-model", {"model": "openai/gpt-4o"}, {"team_id": other}),
            }
        return self.fixture("world", make)

    # LiteLLM's ordinary virtual key: models, alias, duration, no team.
    def personal_key(self) -> dict[str, Any]:
        def make() -> dict[str, Any]:
            world = self.world()
            alias = self.name("personal")
            created = self.client.keys.generate(models=[world["shared_a"]["name"]], key_alias=alias, duration="1h")
            key = created.get("key") if isinstance(created, dict) else None
            expect(isinstance(key, str) and key != "", f"keys.generate answered no key: {str(created)[:300]}")
            return {"key": key, "alias": alias, "response": created}
        return self.fixture("personal key (client.keys.generate(models=[shared], key_alias=…, duration='1h'))", make)

    # The CLI.
    def cli(self, *argv: str, key: str | None = "master", command: str | None = None) -> CLIRun:
        """One CLI command run in this process on the program's own click group."""
        token = self.master_key if key == "master" else key
        env = {"LITELLM_PROXY_API_KEY": token} if token else {}
        args = ["--base-url", self.base_url, *argv]
        runner = CliRunner()
        result = runner.invoke(litellm_cli, args, env=env, catch_exceptions=True)
        exception = ""
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            exception = "".join(traceback.format_exception_only(result.exception)).strip()
        run = CLIRun(argv, result.exit_code, result.stdout, result.stderr, exception)
        self._note_cli(command or " ".join(argv[:2]))
        self.cli_runs.append(run)
        return run

    def cli_program_run(self, argv: list[str], env: dict[str, str], command: str) -> CLIRun:
        """The `litellm-proxy` program itself, as a user runs it."""
        completed = subprocess.run([self.cli_program, *argv], env={**os.environ, **env}, capture_output=True,
                                   text=True, timeout=300)
        shown = [a if a not in (self.master_key,) else "<redacted>" for a in argv]
        run = CLIRun(shown, completed.returncode, completed.stdout, completed.stderr)
        self._note_cli(command)
        self.cli_runs.append(run)
        return run

    def _note_cli(self, command: str) -> None:
        RUN_CLI_COMMANDS.add(command)


def cli_json(run: CLIRun) -> Any:
    expect(run.exit_code == 0, f"the command exited {run.exit_code}")
    try:
        return json.loads(run.stdout)
    except ValueError:
        raise CheckFailed("the command did not print JSON")


def cli_ok(run: CLIRun) -> str:
    expect(run.exit_code == 0 and not run.exception, f"the command exited {run.exit_code}")
    expect("Traceback" not in run.stdout + run.stderr, "the command printed a traceback")
    return run.stdout


def names(models: list[dict[str, Any]]) -> set[str]:
    return {m.get("model_name") for m in models}


def ids(models: list[dict[str, Any]]) -> set[str]:
    return {(m.get("model_info") or {}).get("id") for m in models}


@dataclass
class Check:
    name: str
    function: Callable[[Catalog], None]
    # The client methods ("keys.generate") and CLI commands ("cli:keys list") the check exercises:
    # a check that passes has called each; together they must cover the client and the CLI.
    uses: list[str]


CHECKS: list[Check] = []


def check(name: str, *uses: str) -> Callable[[Callable[[Catalog], None]], Callable[[Catalog], None]]:
    def register(function: Callable[[Catalog], None]) -> Callable[[Catalog], None]:
        CHECKS.append(Check(name, function, list(uses)))
        return function
    return register


def used(name: str) -> bool:
    return name[4:] in RUN_CLI_COMMANDS if name.startswith("cli:") else name in CALLED_METHODS


# --- client.models --------------------------------------------------------------------------

@check("client.models.list lists the shared models by id (GET /models)", "models.list")
def _(c: Catalog) -> None:
    world = c.world()
    listed = c.client.models.list()
    expect(isinstance(listed, list), "models.list() did not return a list")
    listed_ids = {m.get("id") for m in listed}
    for model in (world["shared_a"], world["shared_b"], world["team_model"]):
        expect(model["name"] in listed_ids, f"{model['name']} is not listed")
    expect(all(m.get("object") == "model" for m in listed), "an entry has no object: model")


@check("client.models.info lists each deployment with its name, params and model_info.id (GET /v1/model/info)", "models.info")
def _(c: Catalog) -> None:
    world = c.world()
    info = c.client.models.info()
    expect(isinstance(info, list), "models.info() did not return a list")
    entry = next((m for m in info if (m.get("model_info") or {}).get("id") == world["shared_a"]["id"]), None)
    expect(entry is not None, "the shared deployment is not in models.info()")
    expect(entry.get("model_name") == world["shared_a"]["name"], "model_name differs")
    expect((entry.get("litellm_params") or {}).get("model") == "openai/gpt-4o", "litellm_params.model differs")
    expect((entry.get("litellm_params") or {}).get("api_base") == "https://a.example/v1", "litellm_params.api_base differs")


@check("client.models.get finds a deployment by id and by name, and raises NotFoundError for an unknown id", "models.get")
def _(c: Catalog) -> None:
    world = c.world()
    by_id = c.client.models.get(model_id=world["team_model"]["id"])
    expect(by_id.get("model_name") == world["team_model"]["name"], "get(model_id=) found another model")
    by_name = c.client.models.get(model_name=world["shared_b"]["name"])
    expect((by_name.get("model_info") or {}).get("id") == world["shared_b"]["id"], "get(model_name=) found another model")
    try:
        c.client.models.get(model_id=f"no-such-{c.run_id}")
    except NotFoundError:
        return
    raise CheckFailed("get(model_id=<unknown>) did not raise NotFoundError")


@check("client.models.new adds a deployment that /model/info lists with the given params, its api_key hidden", "models.new")
def _(c: Catalog) -> None:
    name = c.name("new")
    secret = f"sk-model-secret-{uuid.uuid4().hex}"
    REDACT.add(secret)
    created = c.client.models.new(
        model_name=name,
        model_params={"model": "openai/gpt-4o-mini", "api_base": "https://new.example/v1", "api_key": secret, "rpm": 7},
        model_info={"description": "added by litellm's client"})
    expect(secret not in json.dumps(created), "the response to models.new shows the api_key")
    entry = next((m for m in c.model_info() if m.get("model_name") == name), None)
    expect(entry is not None, "the new model is not in /model/info")
    params = entry.get("litellm_params") or {}
    expect(params.get("model") == "openai/gpt-4o-mini", "litellm_params.model differs")
    expect(params.get("api_base") == "https://new.example/v1", "litellm_params.api_base differs")
    expect(params.get("rpm") == 7, "litellm_params.rpm differs")
    expect((entry.get("model_info") or {}).get("description") == "added by litellm's client", "model_info.description differs")
    expect(secret not in json.dumps(entry), "/model/info shows the api_key")


@check("client.models.update changes the given litellm_params and keeps the others (POST /model/update with top-level id)", "models.update")
def _(c: Catalog) -> None:
    model = c.add_model("update", {"model": "openai/gpt-4o-mini", "api_base": "https://before.example/v1", "rpm": 1})
    c.client.models.update(model_id=model["id"], model_params={"api_base": "https://after.example/v1", "rpm": 2})
    entry = c.deployment(model["id"])
    expect(entry is not None, "the updated model is gone from /model/info")
    params = entry.get("litellm_params") or {}
    expect(params.get("api_base") == "https://after.example/v1", f"api_base is {params.get('api_base')!r}, not the new value")
    expect(params.get("rpm") == 2, f"rpm is {params.get('rpm')!r}, not 2")
    expect(params.get("model") == "openai/gpt-4o-mini", "litellm_params.model was lost by a partial update")
    expect(entry.get("model_name") == model["name"], "model_name changed")


@check("client.models.update with model_info changes model_info", "models.update")
def _(c: Catalog) -> None:
    model = c.add_model("update-info", info={"description": "before"})
    c.client.models.update(model_id=model["id"], model_params={"model": "openai/gpt-4o-mini"},
                           model_info={"description": "after"})
    entry = c.deployment(model["id"])
    expect(entry is not None, "the updated model is gone from /model/info")
    expect((entry.get("model_info") or {}).get("description") == "after", "model_info.description did not change")


@check("client.models.update of an unknown id raises NotFoundError", "models.update")
def _(c: Catalog) -> None:
    try:
        c.client.models.update(model_id=f"no-such-{c.run_id}", model_params={"rpm": 3})
    except NotFoundError:
        return
    except requests.HTTPError as error:
        raise CheckFailed(f"raised HTTPError {error.response.status_code}, not NotFoundError")
    raise CheckFailed("no error")


@check("client.models.delete removes the deployment; deleting it again raises NotFoundError", "models.delete")
def _(c: Catalog) -> None:
    model = c.add_model("delete")
    c.client.models.delete(model_id=model["id"])
    expect(c.deployment(model["id"]) is None, "the deleted model is still in /model/info")
    try:
        c.client.models.delete(model_id=model["id"])
    except NotFoundError:
        return
    raise CheckFailed("deleting it again did not raise NotFoundError")


# --- client.model_groups --------------------------------------------------------------------

@check("client.model_groups.info lists a group per public model name with its provider", "model_groups.info")
def _(c: Catalog) -> None:
    world = c.world()
    groups = c.client.model_groups.info()
    expect(isinstance(groups, list), "model_groups.info() did not return a list")
    group = next((g for g in groups if g.get("model_group") == world["shared_a"]["name"]), None)
    expect(group is not None, "the shared model's group is not listed")
    expect("openai" in (group.get("providers") or []), "providers does not name openai")


# --- client.keys ----------------------------------------------------------------------------

@check("client.keys.generate(models, key_alias, duration) with no team makes a key (LiteLLM's personal virtual key)", "keys.generate")
def _(c: Catalog) -> None:
    created = c.personal_key()["response"]
    expect(created.get("key_alias") in (None, c.personal_key()["alias"]), "the response names another key_alias")


@check("a personal key works as a Bearer key on /v1/models")
def _(c: Catalog) -> None:
    status = c.key_works(c.personal_key()["key"])
    expect(status == 200, f"GET /v1/models with the key answered {status}")


@check("a personal key sees only its allowed shared model on /model/info")
def _(c: Catalog) -> None:
    world, key = c.world(), c.personal_key()["key"]
    seen = names(c.model_info(key))
    expect(seen == {world["shared_a"]["name"]}, f"it sees {sorted(seen)}, expected only {world['shared_a']['name']}")


@check("a personal key sees only its allowed shared model on /v1/models and via LiteLLM's client", "models.list")
def _(c: Catalog) -> None:
    world, key = c.world(), c.personal_key()["key"]
    listed = {m.get("id") for m in c.json_ok("GET", "/v1/models", key).get("data", [])}
    expect(listed == {world["shared_a"]["name"]}, f"/v1/models lists {sorted(listed)}")
    through_client = {m.get("id") for m in Client(base_url=c.base_url, api_key=key).models.list()}
    expect(through_client == listed, f"the client lists {sorted(through_client)}")


@check("a personal key cannot write: /model/new, /model/update, /model/delete and /key/generate answer 403")
def _(c: Catalog) -> None:
    world, key = c.world(), c.personal_key()["key"]
    shared = world["shared_a"]
    attempts = [
        ("/model/new", {"model_name": shared["name"], "litellm_params": {"model": "openai/gpt-4o"}}),
        ("/model/update", {"model_info": {"id": shared["id"]}, "litellm_params": {"rpm": 9}}),
        ("/model/delete", {"id": shared["id"]}),
        ("/key/generate", {"models": [shared["name"]]}),
    ]
    wrong = [f"{path}: {status}" for path, body in attempts
             if (status := c.http("POST", path, key, body).status_code) != 403]
    expect(not wrong, f"not 403: {', '.join(wrong)}")
    expect(c.deployment(shared["id"]) is not None, "the shared model is gone")


@check("client.keys.info shows a key's alias, models and expiry ({'key', 'info'}), not its text", "keys.generate", "keys.info")
def _(c: Catalog) -> None:
    world = c.world()
    alias = c.name("info")
    created = c.client.keys.generate(team_id=world["team"], models=[world["shared_a"]["name"]], key_alias=alias,
                                     duration="1h")
    key = created.get("key")
    expect(isinstance(key, str) and key != "", "no key in the response")
    answer = c.client.keys.info(key=key)
    info = answer.get("info") if isinstance(answer, dict) else None
    expect(isinstance(info, dict), "no info object")
    expect(info.get("key_alias") == alias, f"key_alias is {info.get('key_alias')!r}")
    expect(info.get("models") == [world["shared_a"]["name"]], f"models is {info.get('models')!r}")
    expect(info.get("expires") not in (None, ""), "no expiry for a key made with duration 1h")
    expect(key not in json.dumps(answer), "key/info shows the key text")


@check("client.keys.info of a personal key shows its alias and models and no team", "keys.info")
def _(c: Catalog) -> None:
    personal, world = c.personal_key(), c.world()
    info = c.client.keys.info(key=personal["key"]).get("info") or {}
    expect(info.get("key_alias") == personal["alias"], f"key_alias is {info.get('key_alias')!r}")
    expect(info.get("models") == [world["shared_a"]["name"]], f"models is {info.get('models')!r}")
    expect(info.get("team_id") is None, f"team_id is {info.get('team_id')!r}")


@check("client.keys.generate(team_id=…) makes a team key that reads its team's and shared models and no other team's", "keys.generate")
def _(c: Catalog) -> None:
    world = c.world()
    created = c.client.keys.generate(team_id=world["team"], key_alias=c.name("team-key"))
    key = created.get("key")
    expect(isinstance(key, str) and key != "", "no key in the response")
    seen = names(c.model_info(key))
    for model in ("team_model", "shared_a", "shared_b"):
        expect(world[model]["name"] in seen, f"it does not see {world[model]['name']}")
    expect(world["other_team_model"]["name"] not in seen, "it sees another team's model")


@check("client.keys.list lists keys as objects (return_full_object) with alias and no key text; filters by key_alias", "keys.list")
def _(c: Catalog) -> None:
    world = c.world()
    alias = c.name("listed")
    key = c.team_key(world["team"], alias)
    answer = c.client.keys.list(key_alias=alias, return_full_object=True)
    expect(isinstance(answer, dict), "key/list did not answer an object")
    keys = answer.get("keys")
    expect(isinstance(keys, list), "no keys list")
    expect(all(isinstance(k, dict) for k in keys), "an entry of keys is not an object")
    expect([k.get("key_alias") for k in keys] == [alias], f"key_alias filter gave {[k.get('key_alias') for k in keys]}")
    expect(isinstance(answer.get("total_count"), int), "no total_count")
    everything = c.client.keys.list(page=1, size=100, return_full_object=True)
    expect(alias in [k.get("key_alias") for k in everything.get("keys", [])], "the key is not in the unfiltered list")
    expect(key not in json.dumps(answer) + json.dumps(everything), "key/list shows the key text")


@check("client.keys.update changes a key's models and alias, and the key sees the new models", "keys.update", "keys.info")
def _(c: Catalog) -> None:
    world = c.world()
    key = c.team_key(world["team"], c.name("to-update"))
    new_alias = c.name("updated")
    c.client.keys.update(key=key, models=[world["shared_b"]["name"]], key_alias=new_alias)
    info = c.client.keys.info(key=key).get("info", {})
    expect(info.get("key_alias") == new_alias, f"key_alias is {info.get('key_alias')!r}")
    expect(info.get("models") == [world["shared_b"]["name"]], f"models is {info.get('models')!r}")
    seen = names(c.model_info(key))
    expect(seen == {world["shared_b"]["name"]}, f"after the update the key sees {sorted(seen)}")


@check("client.keys.delete(keys=[…]) makes the key stop working", "keys.delete")
def _(c: Catalog) -> None:
    key = c.team_key(c.world()["team"])
    expect(c.key_works(key) == 200, "the new key does not work")
    c.client.keys.delete(keys=[key])
    status = c.key_works(key)
    expect(status == 401, f"the deleted key answered {status}, expected 401")


@check("client.keys.delete(key_aliases=[…]) makes the key stop working", "keys.delete")
def _(c: Catalog) -> None:
    alias = c.name("delete-by-alias")
    key = c.team_key(c.world()["team"], alias)
    c.client.keys.delete(key_aliases=[alias])
    status = c.key_works(key)
    expect(status == 401, f"the deleted key answered {status}, expected 401")


# --- client.teams ---------------------------------------------------------------------------

@check("client.teams.list is a list that contains a team made with /team/new, with its alias", "teams.list")
def _(c: Catalog) -> None:
    team = c.world()["team"]
    teams = c.client.teams.list()
    expect(isinstance(teams, list), "teams.list() did not return a list")
    entry = next((t for t in teams if isinstance(t, dict) and t.get("team_id") == team), None)
    expect(entry is not None, "the team is not listed")
    expect(entry.get("team_alias") == f"{team}-alias", f"team_alias is {entry.get('team_alias')!r}")


@check("client.teams.list_v2 pages teams and finds one by team_id (GET /v2/team/list)", "teams.list_v2")
def _(c: Catalog) -> None:
    team = c.world()["team"]
    answer = c.client.teams.list_v2(team_id=team)
    expect(isinstance(answer, dict), "not an object")
    teams = answer.get("teams")
    expect(isinstance(teams, list), "no teams list")
    expect([t.get("team_id") for t in teams] == [team], f"team_id filter gave {[t.get('team_id') for t in teams]}")
    first = c.client.teams.list_v2(page=1, page_size=1)
    expect(len(first.get("teams", [])) == 1, "page_size=1 did not give one team")


@check("client.teams.get_available answers a list (GET /team/available)", "teams.get_available")
def _(c: Catalog) -> None:
    available = c.client.teams.get_available()
    expect(isinstance(available, list), f"not a list: {type(available).__name__}")


# --- client.credentials ---------------------------------------------------------------------

def make_credential(c: Catalog, what: str) -> str:
    name = c.name(what)
    c.client.credentials.create(
        credential_name=name, credential_info={"custom_llm_provider": "openai", "description": what},
        credential_values={"api_key": c.credential_secret, "api_base": "https://credential.example/v1"})
    return name


@check("client.credentials.create makes a credential that credentials.list shows by name, without its values", "credentials.create", "credentials.list")
def _(c: Catalog) -> None:
    name = make_credential(c, "cred-listed")
    listed = c.client.credentials.list()
    expect(isinstance(listed, dict) and isinstance(listed.get("credentials"), list), "no credentials list")
    entry = next((x for x in listed["credentials"] if x.get("credential_name") == name), None)
    expect(entry is not None, "the credential is not listed")
    expect((entry.get("credential_info") or {}).get("custom_llm_provider") == "openai", "credential_info differs")
    expect(c.credential_secret not in json.dumps(listed), "credentials.list shows the secret value")


@check("client.credentials.get returns the credential by name, without its values", "credentials.get")
def _(c: Catalog) -> None:
    name = make_credential(c, "cred-get")
    answer = c.client.credentials.get(credential_name=name)
    expect(answer.get("credential_name") == name, f"credential_name is {answer.get('credential_name')!r}")
    expect(c.credential_secret not in json.dumps(answer), "credentials.get shows the secret value")


@check("a model with litellm_params.litellm_credential_name shows the name, not the values, in /model/info", "credentials.create")
def _(c: Catalog) -> None:
    name = make_credential(c, "cred-used")
    model = c.add_model("uses-credential", {"model": "openai/gpt-4o", "litellm_credential_name": name})
    entry = c.deployment(model["id"])
    expect(entry is not None, "the model is not in /model/info")
    expect((entry.get("litellm_params") or {}).get("litellm_credential_name") == name, "litellm_credential_name differs")
    info = c.client.models.get(model_id=model["id"])
    expect(c.credential_secret not in json.dumps(entry) + json.dumps(info), "/model/info shows the credential's value")


@check("client.credentials.update_display_name sets display_name and keeps credential_info", "credentials.update_display_name", "credentials.get")
def _(c: Catalog) -> None:
    name = make_credential(c, "cred-display")
    c.client.credentials.update_display_name(credential_name=name, display_name="Shown Name")
    answer = c.client.credentials.get(credential_name=name)
    expect(answer.get("display_name") == "Shown Name", f"display_name is {answer.get('display_name')!r}")
    expect((answer.get("credential_info") or {}).get("custom_llm_provider") == "openai",
           "the empty credential_info of the PATCH wiped the stored info")


@check("client.credentials.delete removes the credential from the list and from by_name", "credentials.delete", "credentials.list")
def _(c: Catalog) -> None:
    name = make_credential(c, "cred-delete")
    c.client.credentials.delete(credential_name=name)
    listed = c.client.credentials.list()
    expect(name not in [x.get("credential_name") for x in listed.get("credentials", [])], "still listed")
    status = c.http("GET", f"/credentials/by_name/{name}").status_code
    expect(status == 404, f"GET /credentials/by_name answered {status}, expected 404")


# --- the litellm-proxy program --------------------------------------------------------------

@check("cli: the litellm-proxy program with --base-url and --api-key lists models (models list --format json)", "cli:models list")
def _(c: Catalog) -> None:
    world = c.world()
    run = c.cli_program_run(["--base-url", c.base_url, "--api-key", c.master_key, "models", "list", "--format", "json"],
                            {}, "models list")
    try:
        listed = cli_json(run)
        expect(world["shared_a"]["name"] in {m.get("id") for m in listed}, "the shared model is not listed")
    except CheckFailed as failure:
        raise CheckFailed(f"{failure}\n{run.describe()}")


@check("cli: the litellm-proxy program with LITELLM_PROXY_URL and LITELLM_PROXY_API_KEY lists model groups", "cli:model-groups list")
def _(c: Catalog) -> None:
    world = c.world()
    run = c.cli_program_run(["model-groups", "list"],
                            {"LITELLM_PROXY_URL": c.base_url, "LITELLM_PROXY_API_KEY": c.master_key}, "model-groups list")
    try:
        out = cli_ok(run)
        expect(world["shared_a"]["name"] in out, "the shared model's group is not in the table")
    except CheckFailed as failure:
        raise CheckFailed(f"{failure}\n{run.describe()}")


# --- CLI commands (the same click group, in this process) ------------------------------------

def with_cli(run: CLIRun, body: Callable[[], None]) -> None:
    try:
        body()
    except CheckFailed as failure:
        raise CheckFailed(f"{failure}\n{run.describe()}")


@check("cli: models list prints a table with the shared models", "cli:models list")
def _(c: Catalog) -> None:
    world = c.world()
    run = c.cli("models", "list")
    with_cli(run, lambda: expect(world["shared_a"]["name"] in cli_ok(run), "the shared model is not in the table"))


@check("cli: models info prints every column (json and table)", "cli:models info")
def _(c: Catalog) -> None:
    world = c.world()
    run = c.cli("models", "info", "--format", "json")
    with_cli(run, lambda: expect(world["shared_a"]["id"] in ids(cli_json(run)), "the deployment is not listed"))
    run = c.cli("models", "info", "--columns",
                "public_model,upstream_model,credential_name,created_at,updated_at,id,input_cost,output_cost")

    def table() -> None:
        out = cli_ok(run)
        expect(world["shared_a"]["id"] in out, "the deployment id is not in the table")
        expect("Warning" not in run.stderr, "a column was unknown")
    with_cli(run, table)


@check("cli: models get --id and --name print the deployment", "cli:models get")
def _(c: Catalog) -> None:
    world = c.world()
    run = c.cli("models", "get", "--id", world["team_model"]["id"])
    with_cli(run, lambda: expect(cli_json(run).get("model_name") == world["team_model"]["name"], "another model"))
    run = c.cli("models", "get", "--name", world["shared_b"]["name"])
    with_cli(run, lambda: expect((cli_json(run).get("model_info") or {}).get("id") == world["shared_b"]["id"], "another model"))


@check("cli: models add NAME -p … -i … adds a deployment with those params", "cli:models add")
def _(c: Catalog) -> None:
    name = c.name("cli-add")
    run = c.cli("models", "add", name, "-p", "model=openai/gpt-4o-mini", "-p", "api_base=https://cli-add.example/v1",
                "-i", "description=added by the cli")

    def effect() -> None:
        cli_ok(run)
        entry = next((m for m in c.model_info() if m.get("model_name") == name), None)
        expect(entry is not None, "the model is not in /model/info")
        expect((entry.get("litellm_params") or {}).get("api_base") == "https://cli-add.example/v1", "api_base differs")
        expect((entry.get("model_info") or {}).get("description") == "added by the cli", "description differs")
    with_cli(run, effect)


@check("cli: models add -p rpm=5 (every -p value is a string) stores rpm 5", "cli:models add")
def _(c: Catalog) -> None:
    name = c.name("cli-add-rpm")
    run = c.cli("models", "add", name, "-p", "model=openai/gpt-4o-mini", "-p", "rpm=5")

    def effect() -> None:
        cli_ok(run)
        entry = next((m for m in c.model_info() if m.get("model_name") == name), None)
        expect(entry is not None, "the model is not in /model/info")
        expect((entry.get("litellm_params") or {}).get("rpm") in (5, "5"), "rpm differs")
    with_cli(run, effect)


@check("cli: models update ID -p … changes the deployment", "cli:models update")
def _(c: Catalog) -> None:
    model = c.add_model("cli-update", {"model": "openai/gpt-4o-mini", "api_base": "https://before.example/v1"})
    run = c.cli("models", "update", model["id"], "-p", "api_base=https://cli-after.example/v1")

    def effect() -> None:
        cli_ok(run)
        entry = c.deployment(model["id"])
        expect(entry is not None, "the model is gone")
        expect((entry.get("litellm_params") or {}).get("api_base") == "https://cli-after.example/v1", "api_base did not change")
        expect((entry.get("litellm_params") or {}).get("model") == "openai/gpt-4o-mini", "litellm_params.model was lost")
    with_cli(run, effect)


@check("cli: models delete ID removes the deployment", "cli:models delete")
def _(c: Catalog) -> None:
    model = c.add_model("cli-delete")
    run = c.cli("models", "delete", model["id"])
    with_cli(run, lambda: (cli_ok(run), expect(c.deployment(model["id"]) is None, "still in /model/info")))


@check("cli: models import FILE adds every model of the YAML's model_list with its params; --dry-run adds none", "cli:models import")
def _(c: Catalog) -> None:
    first, second, dry = c.name("import-a"), c.name("import-b"), c.name("import-dry")
    directory = tempfile.mkdtemp(prefix="litellm-import-")
    path = os.path.join(directory, "models.yaml")
    with open(path, "w") as f:
        yaml.safe_dump({"model_list": [
            {"model_name": first, "litellm_params": {"model": "openai/gpt-4o", "api_base": "https://import.example/v1", "rpm": 11},
             "model_info": {"description": "imported"}},
            {"model_name": second, "litellm_params": {"model": "anthropic/claude-3-5-sonnet-20241022"}},
        ]}, f)
    dry_path = os.path.join(directory, "dry.yaml")
    with open(dry_path, "w") as f:
        yaml.safe_dump({"model_list": [{"model_name": dry, "litellm_params": {"model": "openai/gpt-4o"}}]}, f)
    run = c.cli("models", "import", path)

    def effect() -> None:
        cli_ok(run)
        listed = {m.get("model_name"): m for m in c.model_info()}
        expect(first in listed and second in listed, f"imported: {sorted(n for n in (first, second) if n in listed)}")
        params = listed[first].get("litellm_params") or {}
        expect(params.get("api_base") == "https://import.example/v1" and params.get("rpm") == 11, "params differ")
        expect((listed[first].get("model_info") or {}).get("description") == "imported", "model_info differs")
        expect((listed[second].get("litellm_params") or {}).get("model") == "anthropic/claude-3-5-sonnet-20241022",
               "the second model's params differ")
    with_cli(run, effect)
    run = c.cli("models", "import", dry_path, "--dry-run")
    with_cli(run, lambda: (cli_ok(run), expect(dry not in names(c.model_info()), "--dry-run added the model")))


@check("cli: model-groups list --format json lists the shared model's group", "cli:model-groups list")
def _(c: Catalog) -> None:
    world = c.world()
    run = c.cli("model-groups", "list", "--format", "json")
    with_cli(run, lambda: expect(world["shared_a"]["name"] in {g.get("model_group") for g in cli_json(run)}, "not listed"))


@check("cli: keys generate --models --key-alias --duration makes a working key limited to those models", "cli:keys generate")
def _(c: Catalog) -> None:
    world = c.world()
    alias = c.name("cli-personal")
    run = c.cli("keys", "generate", "--models", world["shared_b"]["name"], "--key-alias", alias, "--duration", "1h")

    def effect() -> None:
        key = cli_json(run).get("key")
        expect(isinstance(key, str) and key != "", "no key printed")
        REDACT.add(key)
        seen = names(c.model_info(key))
        expect(seen == {world["shared_b"]["name"]}, f"the key sees {sorted(seen)}")
    with_cli(run, effect)


@check("cli: keys generate --team-id makes a team key", "cli:keys generate")
def _(c: Catalog) -> None:
    world = c.world()
    run = c.cli("keys", "generate", "--team-id", world["team"], "--key-alias", c.name("cli-team-key"))

    def effect() -> None:
        key = cli_json(run).get("key")
        expect(isinstance(key, str) and key != "", "no key printed")
        REDACT.add(key)
        expect(world["team_model"]["name"] in names(c.model_info(key)), "the key does not see its team's model")
    with_cli(run, effect)


@check("cli: keys list prints a table of keys and --key-alias --format json finds one", "cli:keys list")
def _(c: Catalog) -> None:
    alias = c.name("cli-listed")
    key = c.team_key(c.world()["team"], alias)
    run = c.cli("keys", "list")

    def table() -> None:
        out = cli_ok(run)
        expect(alias in out, "the key's alias is not in the table")
        expect(key not in out, "the table shows the key text")
    with_cli(run, table)
    run = c.cli("keys", "list", "--key-alias", alias, "--format", "json")
    with_cli(run, lambda: expect([k.get("key_alias") for k in cli_json(run).get("keys", [])] == [alias], "filter failed"))


@check("cli: keys info (1.108.7 has no `keys info` command: `http request GET /key/info?key=…`) shows alias and models", "cli:keys info")
def _(c: Catalog) -> None:
    world = c.world()
    alias = c.name("cli-info")
    key = c.team_key(world["team"], alias)
    run = c.cli("http", "request", "GET", f"/key/info?key={key}", command="keys info")
    with_cli(run, lambda: expect((cli_json(run).get("info") or {}).get("key_alias") == alias, "key_alias differs"))


@check("cli: keys delete --keys makes the key stop working", "cli:keys delete")
def _(c: Catalog) -> None:
    key = c.team_key(c.world()["team"])
    run = c.cli("keys", "delete", "--keys", key)
    with_cli(run, lambda: (cli_ok(run), expect(c.key_works(key) == 401, "the deleted key still works")))


@check("cli: keys delete --key-aliases makes the key stop working", "cli:keys delete")
def _(c: Catalog) -> None:
    alias = c.name("cli-delete-alias")
    key = c.team_key(c.world()["team"], alias)
    run = c.cli("keys", "delete", "--key-aliases", alias)
    with_cli(run, lambda: (cli_ok(run), expect(c.key_works(key) == 401, "the deleted key still works")))


@check("cli: teams list shows a team made with /team/new", "cli:teams list")
def _(c: Catalog) -> None:
    team = c.world()["team"]
    run = c.cli("teams", "list")

    def effect() -> None:
        out = cli_ok(run)
        expect(team in out and f"{team}-alias" in out, "the team (id and alias) is not in the table")
    with_cli(run, effect)


@check("cli: credentials create, list (table and json), get, update and delete, never showing the values", "cli:credentials create", "cli:credentials list", "cli:credentials get", "cli:credentials update", "cli:credentials delete")
def _(c: Catalog) -> None:
    name = c.name("cli-cred")
    values = json.dumps({"api_key": c.credential_secret})
    run = c.cli("credentials", "create", name, "--info", json.dumps({"custom_llm_provider": "azure"}), "--values", values)
    with_cli(run, lambda: cli_ok(run))
    run = c.cli("credentials", "list")
    with_cli(run, lambda: expect(name in cli_ok(run) and "azure" in run.stdout, "not in the table (name, provider)"))
    run = c.cli("credentials", "list", "--format", "json")
    with_cli(run, lambda: expect(name in [x.get("credential_name") for x in cli_json(run).get("credentials", [])], "not listed"))
    run = c.cli("credentials", "get", name)
    with_cli(run, lambda: expect(cli_json(run).get("credential_name") == name, "get returned another credential"))
    run = c.cli("credentials", "update", name, "--display-name", "CLI Name")
    with_cli(run, lambda: (cli_ok(run), expect(c.client.credentials.get(name).get("display_name") == "CLI Name",
                                               "display_name did not change")))
    run = c.cli("credentials", "delete", name)

    def deleted() -> None:
        cli_ok(run)
        listed = c.client.credentials.list().get("credentials", [])
        expect(name not in [x.get("credential_name") for x in listed], "still listed after delete")
    with_cli(run, deleted)
    leaked = [r for r in c.cli_runs if c.credential_secret in r.stdout + r.stderr]
    expect(not leaked, f"the secret value was printed by {len(leaked)} command(s)")


# --- over the whole run ---------------------------------------------------------------------

@check("no response and no CLI output of the whole run contains a credential's secret value")
def _(c: Catalog) -> None:
    leaks = [f"{e.method} {e.url.split('?')[0]}" for e in EXCHANGES if c.credential_secret in e.response]
    leaks += [f"litellm-proxy {' '.join(r.argv[:2])}" for r in c.cli_runs if c.credential_secret in r.stdout + r.stderr]
    expect(not leaks, f"the secret value is in: {sorted(set(leaks))}")


@check("coverage: the checks exercise every public method of the client's models, model_groups, keys, teams and credentials")
def _(c: Catalog) -> None:
    declared = {use for registered in CHECKS for use in registered.uses}
    missing = [m for m in required_methods() if m not in declared]
    expect(not missing, f"no check calls: {missing}")


@check("coverage: the checks run every CLI command of the issue")
def _(c: Catalog) -> None:
    declared = {use for registered in CHECKS for use in registered.uses}
    missing = [command for command in REQUIRED_CLI_COMMANDS if f"cli:{command}" not in declared]
    expect(not missing, f"no check runs: {missing}")


def run_checks(catalog: Catalog) -> list[Result]:
    results: list[Result] = []
    for registered in CHECKS:
        name = registered.name
        start = len(EXCHANGES)
        began = time.monotonic()
        CALLED_METHODS.clear()
        RUN_CLI_COMMANDS.clear()
        try:
            registered.function(catalog)
            unused = [use for use in registered.uses if not used(use)]
            expect(not unused, f"the check passed without calling {unused}")
            results.append(Result(name, True))
        except Exception as error:  # noqa: BLE001  # a failing check is a result, never the end of the run
            reason = str(error) if isinstance(error, CheckFailed) else f"{type(error).__name__}: {error}"
            if not isinstance(error, CheckFailed):
                reason += "\n  at " + " <- ".join(
                    f"{frame.name}:{frame.lineno}" for frame in reversed(traceback.extract_tb(error.__traceback__)[-4:]))
            exchanges = EXCHANGES[start:][-6:]
            trace = "\n".join(e.describe() for e in exchanges) if exchanges else "  (no HTTP exchange)"
            results.append(Result(name, False, REDACT(f"{reason}\n{trace}")))
        status = "ok  " if results[-1].ok else "FAIL"
        print(f"{status} {time.monotonic() - began:5.1f}s  {name}", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--cli", required=True, help="the litellm-proxy program")
    parser.add_argument("--report", required=True, help="where to write the JSON report")
    args = parser.parse_args()
    master_key = os.environ.get("CATALOG_CHECK_MASTER_KEY", "")
    credential_secret = os.environ.get("CATALOG_CHECK_CREDENTIAL_SECRET", "")
    if not master_key or len(credential_secret) < 16:
        print("CATALOG_CHECK_MASTER_KEY and CATALOG_CHECK_CREDENTIAL_SECRET (16+ characters) are required", file=sys.stderr)
        return 2
    REDACT.add(master_key)
    REDACT.add(credential_secret)
    installed = importlib.metadata.version("litellm")
    if installed != "1.108.7":
        print(f"litellm {installed} is installed; these checks are for litellm 1.108.7", file=sys.stderr)
        return 2

    catalog = Catalog(args.base_url, master_key, args.cli, credential_secret)
    began = time.monotonic()
    results = run_checks(catalog)
    report = {"registered": len(CHECKS), "seconds": round(time.monotonic() - began, 1),
              "checks": [{"name": r.name, "ok": r.ok, "detail": r.detail} for r in results]}
    with open(args.report, "w") as f:
        json.dump(report, f, indent=1)
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)} of {len(results)} checks passed in {report['seconds']}s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
