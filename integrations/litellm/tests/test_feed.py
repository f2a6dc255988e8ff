"""The feed's event-applying logic, against a fake catalog (tests/fake_catalog.py) and a real
LiteLLM ``Router``: snapshot loading, each event, resume with Last-Event-ID, 410 and reset,
an unreachable catalog, and that no secret reaches a log line.

Run: ``LITELLM_LOCAL_MODEL_COST_MAP=True python -m pytest integrations/litellm/tests``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import litellm  # noqa: E402
from litellm import Router  # noqa: E402

import modelcatalog_litellm as feed_module  # noqa: E402
from fake_catalog import FakeCatalog, model  # noqa: E402
from fake_upstream import Upstream  # noqa: E402
from modelcatalog_litellm import CatalogFeed, CatalogSettings, RouterApplier  # noqa: E402

KEY = "sk-gateway-test"


@pytest.fixture()
def catalog():
    fake = FakeCatalog(KEY).start()
    yield fake
    fake.stop()


@pytest.fixture()
def captured_logs():
    """Every log record of every logger (LiteLLM's included), at DEBUG."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in ("LiteLLM Proxy", "LiteLLM Proxy.modelcatalog", "LiteLLM Router", "LiteLLM"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield records
    root.removeHandler(handler)
    root.setLevel(previous)


def settings(catalog: FakeCatalog, **changes: Any) -> CatalogSettings:
    values: dict[str, Any] = {"url": catalog.url, "key": KEY, "retry_max_seconds": 0.5}
    values.update(changes)
    return CatalogSettings(**values)


async def eventually(predicate: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.01)


def run(body: Callable[[], Awaitable[None]], timeout: float = 60.0) -> None:
    asyncio.run(asyncio.wait_for(body(), timeout))


def deployment(router: Router, model_id: str):
    return router.get_deployment(model_id=model_id)


def api_base(router: Router, model_id: str) -> str | None:
    found = deployment(router, model_id)
    return None if found is None else found.litellm_params.api_base


# MARK: RouterApplier alone


def test_replace_loads_routable_models_and_aliases_and_keeps_the_proxys_own():
    router = Router(model_list=[{"model_name": "own", "litellm_params": {"model": "openai/gpt-4o", "api_key": "x"},
                                 "model_info": {"id": "own-1"}}],
                    model_group_alias={"own-alias": "own"})
    applier = RouterApplier(router)
    applier.replace({"seq": 4, "models": [model("a", "alpha"), model("b", "beta", blocked=True)],
                     "aliases": {"fast": "alpha"}})
    assert deployment(router, "a") is not None
    assert deployment(router, "b") is None, "a blocked model must not be routable"
    assert deployment(router, "own-1") is not None
    assert router.model_group_alias == {"own-alias": "own", "fast": "alpha"}
    assert deployment(router, "a").litellm_params.api_key == "sk-upstream-secret"

    # A second snapshot without alpha, with gamma: alpha goes, gamma comes, the proxy's own stays.
    applier.replace({"seq": 9, "models": [model("c", "gamma")], "aliases": {}})
    assert deployment(router, "a") is None
    assert deployment(router, "c") is not None
    assert deployment(router, "own-1") is not None
    assert router.model_group_alias == {"own-alias": "own"}
    assert applier.managed_ids == {"c"}


def test_events_upsert_change_block_and_delete():
    router = Router(model_list=[])
    applier = RouterApplier(router)
    applier.apply({"seq": 1, "entity": "model", "op": "upsert", "id": "a", "object": model("a", api_base="http://h1/v1")})
    assert api_base(router, "a") == "http://h1/v1"
    applier.apply({"seq": 2, "entity": "model", "op": "upsert", "id": "a", "object": model("a", api_base="http://h2/v1")})
    assert api_base(router, "a") == "http://h2/v1"
    assert len(router.get_model_list(model_name="gpt-test") or []) == 1, "an update must replace, not add"
    applier.apply({"seq": 3, "entity": "model", "op": "upsert", "id": "a", "object": model("a", blocked=True)})
    assert deployment(router, "a") is None
    applier.apply({"seq": 4, "entity": "model", "op": "upsert", "id": "a", "object": model("a")})
    assert deployment(router, "a") is not None
    applier.apply({"seq": 5, "entity": "model", "op": "delete", "id": "a"})
    assert deployment(router, "a") is None
    # A replayed deletion, and an event of an unknown entity, are harmless.
    applier.apply({"seq": 5, "entity": "model", "op": "delete", "id": "a"})
    assert applier.apply({"seq": 6, "entity": "cost_map", "op": "upsert", "id": None, "object": None}) is None
    assert applier.apply({"seq": 7, "entity": "catalog", "op": "reset"}) == "reset"


def test_renaming_a_deployment_moves_it_to_the_new_group():
    router = Router(model_list=[])
    applier = RouterApplier(router)
    applier.apply({"seq": 1, "entity": "model", "op": "upsert", "id": "a", "object": model("a", "old-name")})
    applier.apply({"seq": 2, "entity": "model", "op": "upsert", "id": "a", "object": model("a", "new-name")})
    assert not router.get_model_list(model_name="old-name")
    assert [d["model_info"]["id"] for d in router.get_model_list(model_name="new-name")] == ["a"]


def test_credential_events_upsert_the_models_listed_and_a_deletion_asks_for_a_snapshot():
    router = Router(model_list=[])
    applier = RouterApplier(router)
    applier.apply({"seq": 1, "entity": "model", "op": "upsert", "id": "a", "object": model("a", api_key="old")})
    applier.apply({"seq": 2, "entity": "credential", "op": "upsert", "id": "cred",
                   "object": {"credential_name": "cred", "credential_info": {}},
                   "models": [model("a", api_key="rotated")]})
    assert deployment(router, "a").litellm_params.api_key == "rotated"
    assert applier.apply({"seq": 3, "entity": "credential", "op": "delete", "id": "cred"}) == "reset"


def test_os_environ_references_resolve_from_the_proxys_environment(monkeypatch):
    monkeypatch.setenv("CATALOG_TEST_UPSTREAM_KEY", "sk-from-env")
    router = Router(model_list=[])
    RouterApplier(router).upsert(model("a", api_key="os.environ/CATALOG_TEST_UPSTREAM_KEY"))
    assert deployment(router, "a").litellm_params.api_key == "sk-from-env"


def test_an_invalid_deployment_is_dropped_and_logged_without_its_secret(captured_logs):
    router = Router(model_list=[])
    applier = RouterApplier(router)
    applier.upsert(model("a", api_key="sk-valid-one"))
    bad = model("a", api_key="sk-leak-check-7731")
    bad["litellm_params"]["model"] = {"not": "a string"}
    applier.upsert(bad)
    assert deployment(router, "a") is None, "the catalog's state now is invalid: the old one must not route"
    assert any("not a valid LiteLLM deployment" in record.getMessage() for record in captured_logs)
    assert not [r for r in captured_logs if "sk-leak-check-7731" in r.getMessage() or "sk-valid-one" in r.getMessage()]


# MARK: The feed against the fake catalog


def test_feed_loads_the_snapshot_then_follows_the_stream(catalog):
    catalog.upsert(model("a", "alpha"))
    catalog.upsert(model("b", "beta", blocked=True))
    catalog.set_aliases({"fast": "alpha"})
    router = Router(model_list=[])

    async def body():
        feed = CatalogFeed(settings(catalog), router_provider=lambda: router)
        feed.start()
        await eventually(feed.ready.is_set, "the first snapshot")
        assert deployment(router, "a") is not None and deployment(router, "b") is None
        assert router.model_group_alias == {"fast": "alpha"}
        snapshot = catalog.snapshot_requests()[0]
        assert snapshot["query"] == {"view": "routing", "include_cost_map": "false"}
        assert snapshot["authorization"] == f"Bearer {KEY}"
        await eventually(lambda: feed.connected, "the stream")
        stream = catalog.stream_requests()[0]
        assert stream["last_event_id"] == "3" and stream["query"]["after"] == "3"
        assert stream["query"]["view"] == "routing"

        catalog.upsert(model("c", "gamma", api_base="http://h1/v1"))
        await eventually(lambda: api_base(router, "c") == "http://h1/v1", "an added model")
        catalog.upsert(model("c", "gamma", api_base="http://h2/v1"))
        await eventually(lambda: api_base(router, "c") == "http://h2/v1", "a changed api_base")
        catalog.upsert(model("b", "beta"))
        await eventually(lambda: deployment(router, "b") is not None, "an unblocked model")
        catalog.upsert(model("a", "alpha", blocked=True))
        await eventually(lambda: deployment(router, "a") is None, "a blocked model leaves")
        catalog.delete("c")
        await eventually(lambda: deployment(router, "c") is None, "a deleted model")
        catalog.set_aliases({"quick": "beta"})
        await eventually(lambda: router.model_group_alias == {"quick": "beta"}, "the new alias map")
        await eventually(lambda: feed.seq == catalog.seq, "the feed's seq")
        assert len(catalog.snapshot_requests()) == 1
        await feed.stop()

    run(body)


def test_a_cut_stream_resumes_from_the_last_seq_with_nothing_lost(catalog):
    router = Router(model_list=[])

    async def body():
        feed = CatalogFeed(settings(catalog), router_provider=lambda: router)
        feed.start()
        await eventually(lambda: feed.connected, "the stream")
        for round_ in range(5):
            first = catalog.upsert(model(f"m{round_}", f"model-{round_}"))
            await eventually(lambda: feed.seq == first, "the event before the cut")
            catalog.cut_streams()
            # Written while no stream is open: the resumed stream must bring them.
            catalog.upsert(model(f"n{round_}", f"other-{round_}"))
            catalog.delete(f"m{round_}")
            await eventually(lambda: deployment(router, f"n{round_}") is not None and deployment(router, f"m{round_}") is None,
                             f"the writes made during cut {round_}")
        resumed = [request["last_event_id"] for request in catalog.stream_requests()]
        assert len(resumed) >= 6
        # Each reconnection asked from exactly the last event it had applied.
        assert resumed[1:6] == [str(3 * round_ + 1) for round_ in range(5)]
        assert len(catalog.snapshot_requests()) == 1, "a resume must not take a new snapshot"
        assert {d["model_info"]["id"] for d in router.get_model_list() or []} == {f"n{i}" for i in range(5)}
        await feed.stop()

    run(body)


def test_410_and_reset_take_a_new_snapshot_and_delete_what_is_gone(catalog):
    catalog.upsert(model("a", "alpha"))
    catalog.upsert(model("b", "beta"))
    router = Router(model_list=[])

    async def body():
        feed = CatalogFeed(settings(catalog), router_provider=lambda: router)
        feed.start()
        await eventually(lambda: feed.connected, "the stream")
        # The log is pruned past the feed's cursor while it is away; "a" went meanwhile.
        catalog.cut_streams()
        with catalog.condition:
            catalog.models.pop("a")
            catalog.seq += 5
            catalog.oldest_kept = catalog.seq
        await eventually(lambda: deployment(router, "a") is None, "a model gone while the log was pruned")
        assert deployment(router, "b") is not None
        assert len(catalog.snapshot_requests()) == 2
        assert feed.seq == catalog.seq

        # A reset event: the catalog was emptied (TRUNCATE) and refilled with "z".
        with catalog.condition:
            catalog.models = {"z": model("z", "zeta")}
        catalog.append({"entity": "catalog", "op": "reset"})
        await eventually(lambda: deployment(router, "z") is not None and deployment(router, "b") is None, "the reset")
        assert len(catalog.snapshot_requests()) == 3
        await feed.stop()

    run(body)


def test_an_unreachable_catalog_keeps_the_router_and_the_feed_catches_up(catalog, captured_logs):
    catalog.upsert(model("a", "alpha", api_key="sk-never-logged-1"))
    router = Router(model_list=[])

    async def body():
        feed = CatalogFeed(settings(catalog, retry_max_seconds=2.0), router_provider=lambda: router)
        feed.start()
        await eventually(lambda: feed.connected, "the stream")
        catalog.stop()
        await eventually(lambda: not feed.connected, "the feed noticing the catalog is down")
        # Down for a while: several failed attempts, the router untouched.
        await asyncio.sleep(3)
        assert deployment(router, "a") is not None
        failures = [r for r in captured_logs if "catalog unavailable" in r.getMessage()]
        assert len(failures) >= 3
        delays = [float(re.search(r"retrying in ([0-9.]+) s", r.getMessage()).group(1)) for r in failures]
        assert max(delays) <= 2.0 and delays == sorted(delays), f"the backoff grows to a cap of 2 s: {delays}"
        assert [r.levelno for r in failures].count(logging.WARNING) == 1, "one warning per outage"
        # Written while down, then back on the same port.
        catalog.upsert(model("b", "beta", api_key="sk-never-logged-2"))
        catalog.delete("a")
        stopped_at = time.monotonic()
        catalog.start()
        await eventually(lambda: deployment(router, "b") is not None and deployment(router, "a") is None,
                         "catching up after the restart")
        assert time.monotonic() - stopped_at < 3.0, "reconnects within the backoff's cap"
        assert catalog.stream_requests()[-1]["last_event_id"] == "1"
        assert len(catalog.snapshot_requests()) == 1
        await feed.stop()

    run(body)
    leaked = [r for r in captured_logs if "sk-never-logged" in r.getMessage()]
    assert not leaked, f"a log line holds a secret: {leaked[0].getMessage()[:200]}"


def test_unreachable_at_start_holds_requests_then_loads(catalog):
    catalog.upsert(model("a", "alpha"))
    port = catalog.port
    catalog.stop()
    router = Router(model_list=[])

    async def body():
        feed = CatalogFeed(settings(catalog), router_provider=lambda: router)
        feed.start()
        waiting = asyncio.ensure_future(feed.async_pre_call_hook(None, None, {}, "completion"))
        await asyncio.sleep(0.5)
        assert not waiting.done(), "a request before the first snapshot waits for it"
        catalog.port = port
        catalog.start()
        await asyncio.wait_for(waiting, 5)
        assert deployment(router, "a") is not None
        await feed.stop()

    run(body)


def test_a_router_the_proxy_rebuilds_is_fed_from_a_new_snapshot(catalog):
    catalog.upsert(model("a", "alpha"))
    routers = [Router(model_list=[])]

    async def body():
        feed = CatalogFeed(settings(catalog), router_provider=lambda: routers[-1])
        feed.start()
        await eventually(lambda: feed.connected, "the stream")
        routers.append(Router(model_list=[]))
        catalog.upsert(model("b", "beta"))
        await eventually(lambda: deployment(routers[-1], "a") is not None and deployment(routers[-1], "b") is not None,
                         "the new router filled")
        await feed.stop()

    run(body)


def test_a_bad_key_is_retried_and_never_logged(catalog, captured_logs):
    router = Router(model_list=[])

    async def body():
        feed = CatalogFeed(settings(catalog, key="sk-wrong-key-5521"), router_provider=lambda: router)
        feed.start()
        await eventually(lambda: len(catalog.snapshot_requests()) >= 2, "a retry after 401")
        assert not feed.ready.is_set()
        await feed.stop()

    run(body)
    assert any("HTTP 401" in r.getMessage() for r in captured_logs)
    assert not [r for r in captured_logs if "sk-wrong-key-5521" in r.getMessage()]


def test_routed_calls_reach_the_upstream_with_the_catalogs_key(catalog):
    first, second = Upstream(name="one").start(), Upstream(name="two").start()
    catalog.upsert(model("a", "routed", api_base=first.base_url + "/v1", api_key="sk-literal-A"))
    router = Router(model_list=[])

    async def body():
        feed = CatalogFeed(settings(catalog), router_provider=lambda: router)
        feed.start()
        await eventually(feed.ready.is_set, "the first snapshot")
        reply = await router.acompletion(model="routed", messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content == "hello from one"
        assert first.requests()[-1]["authorization"] == "Bearer sk-literal-A"
        assert first.requests()[-1]["model"] == "gpt-4o-mini"
        catalog.upsert(model("a", "routed", api_base=second.base_url + "/v1", api_key="sk-literal-A"))
        await eventually(lambda: api_base(router, "a") == second.base_url + "/v1", "the new api_base")
        reply = await router.acompletion(model="routed", messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content == "hello from two"
        catalog.delete("a")
        await eventually(lambda: deployment(router, "a") is None, "the deletion")
        with pytest.raises(Exception):
            await router.acompletion(model="routed", messages=[{"role": "user", "content": "hi"}])
        await feed.stop()

    try:
        run(body)
    finally:
        first.stop()
        second.stop()


# MARK: Settings and the instance the proxy config names


def test_settings_come_from_the_environment():
    with pytest.raises(RuntimeError, match="CATALOG_URL and CATALOG_GATEWAY_KEY"):
        CatalogSettings.from_environment({})
    with pytest.raises(RuntimeError, match="CATALOG_VIEW"):
        CatalogSettings.from_environment({"CATALOG_URL": "http://x", "CATALOG_GATEWAY_KEY": "k", "CATALOG_VIEW": "all"})
    parsed = CatalogSettings.from_environment({"CATALOG_URL": "http://x:1/", "CATALOG_GATEWAY_KEY": "k",
                                               "CATALOG_RETRY_MAX_SECONDS": "1.5"})
    assert parsed.url == "http://x:1" and parsed.retry_max_seconds == 1.5 and parsed.view == "routing"


def test_imported_outside_a_proxy_the_instance_does_nothing():
    assert isinstance(feed_module.catalog_feed, CatalogFeed)
    assert feed_module.catalog_feed.settings is None
    assert getattr(litellm, "_modelcatalog_feed", None) is None
