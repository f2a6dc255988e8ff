"""Feed a stock LiteLLM proxy's router from a ModelCatalog, live.

LiteLLM (``litellm[proxy]==1.108.7``) loads this module through its documented custom-callback
setting, so the proxy itself is not changed::

    litellm_settings:
      callbacks: ["modelcatalog_litellm.catalog_feed"]

``catalog_feed`` is a ``CustomLogger``. When the proxy imports it (while it loads its config, on
its own event loop) it starts one background task on that loop, which

1. takes ``GET /catalog/snapshot?view=routing&include_cost_map=false`` and loads its models into
   the proxy's ``llm_router`` (``Router.upsert_deployment``), leaving out blocked ones, and its
   aliases into ``model_group_alias``;
2. follows ``GET /catalog/stream`` (Server-Sent Events) from the snapshot's seq and applies each
   event to the running router (``upsert_deployment`` / ``delete_deployment``);
3. on a lost connection keeps the router as it is, reconnects with backoff (capped at
   ``CATALOG_RETRY_MAX_SECONDS``) and resumes with ``Last-Event-ID`` = the last seq applied, so
   nothing is lost or applied twice out of order;
4. on ``{"entity": "catalog", "op": "reset"}`` or an HTTP 410 takes a new snapshot and replaces
   what it loaded before (deployments gone from the catalog are deleted).

Every change to the router is made by that task, on the proxy's event loop, between two awaits:
a request being routed never sees a half-applied change. Until the first snapshot is loaded,
``async_pre_call_hook`` holds requests (at most ``CATALOG_STARTUP_WAIT_SECONDS``), so a proxy that
has just started does not answer "model not found" for a model the catalog has.

Configuration (environment variables; ``callback_settings`` is not read):

``CATALOG_URL``
    The catalog's base URL, e.g. ``http://127.0.0.1:4000``. Required.
``CATALOG_GATEWAY_KEY``
    A gateway key (``model-catalog keys create --role gateway``): only gateway keys get the
    routing view, with secrets opened. Required.
``CATALOG_VIEW``
    ``routing`` (default) or ``redacted``: with ``redacted`` any key will do, and the proxy gets
    only what ``/model/info`` shows (secrets removed; ``os.environ/NAME`` references kept, which
    the proxy resolves from its own environment).
``CATALOG_RETRY_MAX_SECONDS``
    The cap of the reconnection backoff (default 2).
``CATALOG_STARTUP_WAIT_SECONDS``
    How long a request waits for the first snapshot (default 10).
``CATALOG_STREAM_READ_TIMEOUT_SECONDS``
    A stream silent this long is taken as dead and reconnected (default 30; the catalog sends a
    heartbeat at least every 10 s).

What is applied, and what is not:

- model events: applied (``blocked: true`` removes the deployment from the router).
- credential events: the routing view lists the models that use the credential, already resolved;
  those are upserted. A deleted credential makes the feed take a new snapshot.
- alias events: the alias map replaces the aliases this feed set before in ``model_group_alias``
  (aliases from the proxy's own config stay).
- cost-map events: not applied (the proxy keeps LiteLLM's own cost map; the feed asks
  ``include_cost_map=false``).
- deployments from the proxy's own ``model_list`` are left alone, unless the catalog has the same
  ``model_info.id``.

Secrets: ``litellm_params`` of the routing view hold API keys. This module never logs them, nor
any exception text that could quote them (pydantic's validation errors quote their input): it logs
model names, ids, seqs and exception types only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Mapping

import httpx
from litellm.integrations.custom_logger import CustomLogger

# A child of LiteLLM's proxy logger: its lines come out with the proxy's, at the proxy's level.
logger = logging.getLogger("LiteLLM Proxy.modelcatalog")

__all__ = ["CatalogFeed", "CatalogSettings", "RouterApplier", "SSEEvent", "catalog_feed", "parse_sse"]


# MARK: Settings


@dataclass(frozen=True)
class CatalogSettings:
    """Where the catalog is and how to follow it (see the module's documentation)."""

    url: str
    key: str
    view: str = "routing"
    retry_max_seconds: float = 2.0
    retry_min_seconds: float = 0.05
    startup_wait_seconds: float = 10.0
    read_timeout_seconds: float = 30.0

    @staticmethod
    def from_environment(environ: Mapping[str, str] = os.environ) -> "CatalogSettings":
        url = environ.get("CATALOG_URL", "").strip()
        key = environ.get("CATALOG_GATEWAY_KEY", "").strip()
        missing = [name for name, value in (("CATALOG_URL", url), ("CATALOG_GATEWAY_KEY", key)) if not value]
        if missing:
            raise RuntimeError(f"modelcatalog_litellm: set {' and '.join(missing)} in the proxy's environment")
        view = environ.get("CATALOG_VIEW", "routing").strip() or "routing"
        if view not in ("routing", "redacted"):
            raise RuntimeError(f"modelcatalog_litellm: CATALOG_VIEW must be 'routing' or 'redacted', not {view!r}")

        def number(name: str, default: float) -> float:
            text = environ.get(name, "").strip()
            if not text:
                return default
            try:
                value = float(text)
            except ValueError:
                raise RuntimeError(f"modelcatalog_litellm: {name} must be a number of seconds, not {text!r}") from None
            if value <= 0:
                raise RuntimeError(f"modelcatalog_litellm: {name} must be positive")
            return value

        return CatalogSettings(
            url=url.rstrip("/"),
            key=key,
            view=view,
            retry_max_seconds=number("CATALOG_RETRY_MAX_SECONDS", 2.0),
            startup_wait_seconds=number("CATALOG_STARTUP_WAIT_SECONDS", 10.0),
            read_timeout_seconds=number("CATALOG_STREAM_READ_TIMEOUT_SECONDS", 30.0),
        )

    @property
    def query(self) -> dict[str, str]:
        return {"view": self.view, "include_cost_map": "false"}


# MARK: Server-Sent Events


@dataclass
class SSEEvent:
    """One dispatched Server-Sent Event."""

    event: str = "message"
    data: str = ""
    id: str | None = None


async def parse_sse(lines: AsyncIterator[str]) -> AsyncIterator[SSEEvent]:
    """The events of a text/event-stream, from its lines (without their line endings), as the
    HTML standard dispatches them: a blank line ends an event, ``:`` starts a comment."""
    event, data, event_id = "", [], None
    async for line in lines:
        if line == "":
            if data:
                yield SSEEvent(event=event or "message", data="\n".join(data), id=event_id)
            event, data, event_id = "", [], None
            continue
        if line.startswith(":"):
            continue  # a comment: the heartbeat
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id" and "\x00" not in value:
            event_id = value
        # "retry" is the server's suggestion: our own backoff decides (see CatalogFeed).


class CatalogGone(Exception):
    """HTTP 410: the cursor is older than the log keeps, or beyond its end: take a new snapshot."""


class CatalogReset(Exception):
    """The stream said ``op: reset``: take a new snapshot."""


class CatalogHTTPError(Exception):
    """The catalog answered with an unexpected status (its body is not kept: it is not ours to log)."""

    def __init__(self, what: str, status: int) -> None:
        super().__init__(f"{what}: HTTP {status}")
        self.status = status


# MARK: Applying to a router


def _secret_free_error(error: BaseException) -> str:
    """An exception described without its text: pydantic's errors quote their input (an API key),
    so only the type and, for validation errors, the failing fields' locations are named."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            locations = [".".join(str(part) for part in item.get("loc", ())) for item in errors(include_input=False)]
            return f"{type(error).__name__} at {', '.join(locations) or '?'}"
        except Exception:  # noqa: BLE001 - not a pydantic error after all
            pass
    return type(error).__name__


def _resolve_environment_references(params: dict[str, Any]) -> dict[str, Any]:
    """``os.environ/NAME`` values resolved as LiteLLM resolves its database's models (the proxy's
    ``_resolve_db_litellm_param``): from the proxy's environment, except secret pointers that
    LiteLLM dereferences itself at call time."""
    from litellm.secret_managers.main import get_secret

    try:
        from litellm.types.router import holds_secret_pointer
    except ImportError:  # an older LiteLLM: every reference is resolved here
        def holds_secret_pointer(_name: str) -> bool:
            return False

    resolved = dict(params)
    for name, value in params.items():
        if isinstance(value, str) and value.startswith("os.environ/") and not holds_secret_pointer(name):
            resolved[name] = get_secret(value)
    return resolved


@dataclass
class RouterApplier:
    """Applies catalog snapshots and events to a LiteLLM ``Router``.

    Remembers which deployment ids and aliases came from the catalog, so that a new snapshot
    deletes only what the catalog no longer has, and the proxy's own config stays. Synchronous:
    call it on the loop that routes (it never awaits, so each change is atomic for requests).
    """

    router: Any
    managed_ids: set[str] = field(default_factory=set)
    managed_aliases: set[str] = field(default_factory=set)

    # Snapshots

    def replace(self, snapshot: Mapping[str, Any]) -> None:
        """Makes the router's catalog part exactly `snapshot`'s routable models and aliases."""
        models = [entry for entry in snapshot.get("models") or [] if isinstance(entry, Mapping)]
        wanted = {self._id(entry) for entry in models if not self._blocked(entry)} - {None}
        for gone in sorted(self.managed_ids - wanted):
            self.delete(gone)
        for entry in models:
            self.upsert(entry)
        self.set_aliases(snapshot.get("aliases") or {})

    # Events

    def apply(self, event: Mapping[str, Any]) -> str | None:
        """Applies one event. Returns "reset" when the caller must take a new snapshot."""
        entity, op = event.get("entity"), event.get("op")
        if entity == "catalog" and op == "reset":
            return "reset"
        if entity == "model":
            if op == "upsert" and isinstance(event.get("object"), Mapping):
                self.upsert(event["object"])
            elif op == "delete" and event.get("id") is not None:
                self.delete(str(event["id"]))
        elif entity == "credential":
            if op == "upsert":
                # The routing view lists the models that use the credential, resolved with its
                # new values; the redacted view has nothing a router could use.
                for entry in event.get("models") or []:
                    if isinstance(entry, Mapping):
                        self.upsert(entry)
            elif op == "delete":
                # Models that used it hold values they no longer have: start over from a snapshot.
                return "reset"
        elif entity == "alias" and op == "upsert" and isinstance(event.get("object"), Mapping):
            self.set_aliases(event["object"])
        # cost_map events and entities this version does not know are left alone on purpose.
        return None

    # Single objects

    def upsert(self, entry: Mapping[str, Any]) -> None:
        model_id = self._id(entry)
        if model_id is None:
            logger.warning("modelcatalog_litellm: a model without model_info.id was skipped")
            return
        if self._blocked(entry):
            self.delete(model_id)
            return
        name = str(entry.get("model_name") or "")
        try:
            deployment = self._deployment(entry)
        except Exception as error:  # noqa: BLE001 - one bad deployment must not stop the feed
            logger.warning("modelcatalog_litellm: model %s (id %s) is not a valid LiteLLM deployment (%s); not routed",
                           name, model_id, _secret_free_error(error))
            self.delete(model_id)
            return
        try:
            self.router.upsert_deployment(deployment=deployment)
        except Exception as error:  # noqa: BLE001
            logger.warning("modelcatalog_litellm: the router refused model %s (id %s) (%s)",
                           name, model_id, _secret_free_error(error))
            return
        if self.router.get_deployment(model_id=model_id) is not None:
            self.managed_ids.add(model_id)
        else:  # the router dropped it (its ignore_invalid_deployments): nothing of ours is left
            self.managed_ids.discard(model_id)

    def delete(self, model_id: str) -> None:
        self.router.delete_deployment(id=model_id)
        self.managed_ids.discard(model_id)

    def set_aliases(self, aliases: Mapping[str, Any]) -> None:
        """The catalog's alias map (alias -> model group) in place of the one it gave before."""
        catalog = {str(alias): str(group) for alias, group in aliases.items() if isinstance(group, str)}
        current = dict(getattr(self.router, "model_group_alias", None) or {})
        merged = {alias: group for alias, group in current.items() if alias not in self.managed_aliases}
        merged.update(catalog)
        if merged != current:
            # update_settings invalidates the router's model-group caches when the map changes.
            self.router.update_settings(model_group_alias=merged)
        self.managed_aliases = set(catalog)

    # Helpers

    @staticmethod
    def _id(entry: Mapping[str, Any]) -> str | None:
        info = entry.get("model_info")
        if isinstance(info, Mapping) and info.get("id") is not None:
            return str(info["id"])
        return None

    @staticmethod
    def _blocked(entry: Mapping[str, Any]) -> bool:
        info = entry.get("model_info")
        return isinstance(info, Mapping) and info.get("blocked") is True

    @staticmethod
    def _deployment(entry: Mapping[str, Any]) -> Any:
        from litellm.types.router import Deployment, LiteLLM_Params, ModelInfo

        params = entry.get("litellm_params")
        if not isinstance(params, Mapping):
            raise TypeError("litellm_params is not an object")
        info = dict(entry.get("model_info") or {})
        return Deployment(
            model_name=str(entry["model_name"]),
            litellm_params=LiteLLM_Params(**_resolve_environment_references(dict(params))),
            model_info=ModelInfo(**info),
        )


# MARK: Following the catalog


class CatalogFeed(CustomLogger):
    """Follows a catalog and keeps a LiteLLM router in step with it (see the module's text).

    ``router_provider`` returns the router to feed (the proxy's ``llm_router`` by default, read
    anew each time so that a router the proxy rebuilds is fed from a new snapshot).
    """

    def __init__(self, settings: CatalogSettings | None = None,
                 router_provider: Callable[[], Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.router_provider = router_provider or _proxy_router
        self.seq: int | None = None
        self.applier: RouterApplier | None = None
        self.ready = asyncio.Event()
        self.connected = False
        self.snapshots = 0
        self.connections = 0
        self._task: asyncio.Task[None] | None = None
        self._outage = False
        self._started_at = time.monotonic()

    # Lifecycle

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Task[None]:
        """Starts following on `loop` (the running loop by default). Idempotent."""
        if self.settings is None:
            raise RuntimeError("modelcatalog_litellm: no settings (CATALOG_URL, CATALOG_GATEWAY_KEY)")
        if self._task is None or self._task.done():
            loop = loop or asyncio.get_running_loop()
            self._started_at = time.monotonic()
            self._task = loop.create_task(self._run(), name="modelcatalog-feed")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    # LiteLLM hook

    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: Any) -> None:
        """Holds requests until the first snapshot is loaded (bounded), so that a proxy just
        started does not refuse a model the catalog has."""
        if self.ready.is_set() or self.settings is None or self._task is None:
            return None
        remaining = self.settings.startup_wait_seconds - (time.monotonic() - self._started_at)
        if remaining > 0:
            try:
                await asyncio.wait_for(self.ready.wait(), timeout=remaining)
            except asyncio.TimeoutError:
                pass
        return None

    # The loop

    async def _run(self) -> None:
        assert self.settings is not None
        settings = self.settings
        timeout = httpx.Timeout(connect=5.0, read=settings.read_timeout_seconds, write=5.0, pool=5.0)
        delay = settings.retry_min_seconds
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            while True:
                try:
                    if self._router_changed():
                        self.seq = None
                    if self.seq is None:
                        await self._load_snapshot(client)
                    await self._follow(client)
                    delay = settings.retry_min_seconds  # the stream ended cleanly: reconnect at once
                except (CatalogGone, CatalogReset) as reason:
                    logger.info("modelcatalog_litellm: %s after seq %s: taking a new snapshot",
                                "reset" if isinstance(reason, CatalogReset) else "410", self.seq)
                    self.seq = None
                    delay = settings.retry_min_seconds
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # noqa: BLE001 - unreachable, refused, cut: keep routing, retry
                    self.connected = False
                    # One warning per outage; the retries after it at debug level.
                    logger.log(logging.DEBUG if self._outage else logging.WARNING,
                               "modelcatalog_litellm: catalog unavailable (%s); routing with what we have "
                               "(seq %s), retrying in %.2f s", _describe(error), self.seq, delay)
                    self._outage = True
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, settings.retry_max_seconds)
                    continue
                self.connected = False
                await asyncio.sleep(delay)

    def _router_changed(self) -> bool:
        router = self.router_provider()
        if router is None:
            return False
        if self.applier is None or self.applier.router is not router:
            self.applier = RouterApplier(router)
            return True
        return False

    async def _wait_for_router(self) -> RouterApplier:
        # The proxy imports this module while it loads its config, before it has made its router.
        while True:
            self._router_changed()
            if self.applier is not None:
                return self.applier
            await asyncio.sleep(0.005)

    async def _load_snapshot(self, client: httpx.AsyncClient) -> None:
        assert self.settings is not None
        applier = await self._wait_for_router()
        response = await client.get(f"{self.settings.url}/catalog/snapshot", params=self.settings.query,
                                    headers=self._headers())
        if response.status_code != 200:
            raise CatalogHTTPError("GET /catalog/snapshot", response.status_code)
        snapshot = response.json()
        seq = int(snapshot["seq"])
        if self._router_changed():  # the proxy swapped its router while we waited: load into the new one
            applier = self.applier  # type: ignore[assignment]
        applier.replace(snapshot)
        self.seq = seq
        self.snapshots += 1
        logger.info("modelcatalog_litellm: loaded %d catalog deployments at seq %d",
                    len(applier.managed_ids), seq)
        self.ready.set()

    async def _follow(self, client: httpx.AsyncClient) -> None:
        assert self.settings is not None and self.seq is not None
        headers = self._headers() | {"Accept": "text/event-stream", "Last-Event-ID": str(self.seq)}
        params = self.settings.query | {"after": str(self.seq)}
        async with client.stream("GET", f"{self.settings.url}/catalog/stream", params=params, headers=headers) as response:
            if response.status_code == 410:
                raise CatalogGone()
            if response.status_code != 200:
                raise CatalogHTTPError("GET /catalog/stream", response.status_code)
            self.connected = True
            self.connections += 1
            if self._outage:
                logger.warning("modelcatalog_litellm: catalog reachable again, resuming after seq %s", self.seq)
                self._outage = False
            async for sse in parse_sse(response.aiter_lines()):
                if sse.event != "change":
                    continue
                event = json.loads(sse.data)
                if self._router_changed():
                    raise CatalogReset()
                assert self.applier is not None
                if self.applier.apply(event) == "reset":
                    raise CatalogReset()
                position = sse.id if sse.id is not None else event.get("seq")
                if position is not None:
                    self.seq = int(position)

    def _headers(self) -> dict[str, str]:
        assert self.settings is not None
        return {"Authorization": f"Bearer {self.settings.key}"}


def _describe(error: BaseException) -> str:
    """A transport error named without anything secret: its type, and the status for HTTP errors."""
    if isinstance(error, CatalogHTTPError):
        return str(error)
    return _secret_free_error(error)


def _proxy_router() -> Any:
    proxy_server = sys.modules.get("litellm.proxy.proxy_server")
    return getattr(proxy_server, "llm_router", None) if proxy_server is not None else None


# MARK: The instance LiteLLM's config names


def _instance_for_proxy() -> CatalogFeed:
    """The callback instance. Inside a LiteLLM proxy that is loading its config (its module is
    imported and its event loop runs), it starts following the catalog; imported anywhere else
    (tests, tools) it does nothing. One feed per process: a config loaded again reuses it."""
    running = getattr(sys.modules.get("litellm"), "_modelcatalog_feed", None)
    if isinstance(running, CatalogFeed):
        return running
    if "litellm.proxy.proxy_server" not in sys.modules:
        return CatalogFeed()
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return CatalogFeed()
    feed = CatalogFeed(CatalogSettings.from_environment())
    feed.start(loop)
    setattr(sys.modules["litellm"], "_modelcatalog_feed", feed)
    return feed


catalog_feed = _instance_for_proxy()
