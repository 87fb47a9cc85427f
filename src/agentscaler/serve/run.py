"""Starting the servers: in the foreground (the CLI) or on a background thread (tests, benches,
notebooks).

>>> from agentscaler.serve.run import running
>>> with running("runs/demo", "http") as url:      # "http" or "mcp" (streamable HTTP)
...     ...                                        # http://127.0.0.1:PORT (MCP: .../mcp)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from agentscaler.envs.config import EnvConfig
from agentscaler.envs.core import TaskSource
from agentscaler.serve.config import ServeConfig
from agentscaler.serve.sessions import SessionManager

log = logging.getLogger(__name__)

Kind = Literal["http", "mcp", "mcp-stdio"]

KEEP_ALIVE_S = 75
"""How long the MCP server keeps an idle connection (uvicorn's default of 5 s closes pooled
client connections under load, racing the client's next request)."""


def _manager(
    run: Path | str | TaskSource, serve_config: ServeConfig, env_config: EnvConfig
) -> SessionManager:
    source = run if isinstance(run, TaskSource) else TaskSource(run)
    worlds = source.warm()
    log.info("serving %d tasks on %d worlds", len(source.tasks), worlds)
    return SessionManager(source, env_config, serve_config)


def http_app(sessions: SessionManager):
    from agentscaler.serve.http import HttpApi

    return HttpApi(sessions).app()


def mcp_app(sessions: SessionManager, host: str = "127.0.0.1"):
    """The MCP server's ASGI app (streamable HTTP at ``/mcp``, sessions kept by the SDK)."""
    from agentscaler.serve.mcp import McpWorlds

    return McpWorlds(sessions).server().streamable_http_app(host=host, json_response=True)


def serve(
    run: Path | str | TaskSource,
    kind: Kind,
    serve_config: ServeConfig | None = None,
    env_config: EnvConfig | None = None,
) -> None:
    """Serve until interrupted (Ctrl-C)."""
    serve_config = serve_config or ServeConfig()
    sessions = _manager(run, serve_config, env_config or EnvConfig())
    if kind == "http":
        from aiohttp import web

        web.run_app(
            http_app(sessions),
            host=serve_config.host,
            port=serve_config.port,
            print=lambda text: log.warning("%s", text.strip()),
        )
    elif kind == "mcp":
        import uvicorn

        uvicorn.run(
            mcp_app(sessions, serve_config.host),
            host=serve_config.host,
            port=serve_config.port,
            log_level="warning",
            timeout_keep_alive=KEEP_ALIVE_S,
        )
    else:
        asyncio.run(_serve_stdio(sessions))


async def _serve_stdio(sessions: SessionManager) -> None:
    from mcp.server.stdio import stdio_server

    from agentscaler.serve.mcp import McpWorlds

    server = McpWorlds(sessions).server()
    try:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
    finally:
        await sessions.aclose()


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running(
    run: Path | str | TaskSource,
    kind: Literal["http", "mcp"],
    serve_config: ServeConfig | None = None,
    env_config: EnvConfig | None = None,
) -> Iterator[str]:
    """Serve on a background thread for the duration of the ``with``; yields the base URL
    (``http://HOST:PORT`` for the JSON API, ``http://HOST:PORT/mcp`` for MCP)."""
    serve_config = serve_config or ServeConfig()
    if serve_config.port == 0:
        serve_config = serve_config.model_copy(update={"port": _free_port(serve_config.host)})
    sessions = _manager(run, serve_config, env_config or EnvConfig())
    host, port = serve_config.host, serve_config.port
    ready = threading.Event()
    failure: list[BaseException] = []
    stop: list = []

    def main() -> None:
        try:
            if kind == "http":
                asyncio.run(_http_thread(sessions, host, port, ready, stop))
            else:
                _mcp_thread(sessions, host, port, ready, stop)
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
            ready.set()

    thread = threading.Thread(target=main, name=f"agentscaler-serve-{kind}", daemon=True)
    thread.start()
    ready.wait(60)
    if failure:
        raise failure[0]
    base = f"http://{host}:{port}"
    try:
        yield base if kind == "http" else base + "/mcp"
    finally:
        if stop:
            stop[0]()
        thread.join(30)


async def _http_thread(
    sessions: SessionManager, host: str, port: int, ready: threading.Event, stop: list
) -> None:
    from aiohttp import web

    runner = web.AppRunner(http_app(sessions), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=2048)
    await site.start()
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    stop.append(lambda: loop.call_soon_threadsafe(done.set))
    ready.set()
    try:
        await done.wait()
    finally:
        await runner.cleanup()


def _mcp_thread(
    sessions: SessionManager, host: str, port: int, ready: threading.Event, stop: list
) -> None:
    import uvicorn

    config = uvicorn.Config(
        mcp_app(sessions, host),
        host=host,
        port=port,
        log_level="warning",
        backlog=2048,
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    server = uvicorn.Server(config)

    def shutdown() -> None:
        server.should_exit = True

    stop.append(shutdown)

    async def go() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        ready.set()
        await task
        await sessions.aclose()

    asyncio.run(go())
