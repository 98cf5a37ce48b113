"""End-to-end fixtures: a real uvicorn server on a free port, on each store."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from dossier.settings import Settings
from tests.support import processes
from tests.support.http_api import Service, staff_tokens

START_SECONDS = 120  # a loaded two-core machine can be slow to start a server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server(Service):
    """A `dossier serve` process of the test's own."""

    process: subprocess.Popen[str]

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def start_server(
    settings: Settings,
    *,
    embedded: bool = True,
    environment: dict[str, str] | None = None,
    tokens: dict[str, str] | None = None,
) -> Server:
    """A `dossier serve` on ``settings``'s store, answering on a free port; its
    output in ``<data_dir>/server-<port>.log``. ``tokens``: the staff users'
    tokens when another server on the same store made them already."""
    tokens = staff_tokens(settings) if tokens is None else dict(tokens)
    port = free_port()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log = (settings.data_dir / f"server-{port}.log").open("w")
    env = processes.environment(settings)
    env["DOSSIER_EMBEDDED_PROJECTIONS"] = "true" if embedded else "false"
    env["DOSSIER_POLL_SECONDS"] = "0.2"
    env["DOSSIER_PORT"] = str(port)
    env.update(environment or {})
    # `dossier serve` itself, so the tests meet the server's own limits
    # (timeouts, header size, concurrency) as clients will.
    process = subprocess.Popen(
        [sys.executable, "-m", "dossier", "serve"],
        env=env,
        cwd=processes.ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.name}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"server did not start in {START_SECONDS} s")
        time.sleep(0.1)
    return Server(url, settings, tokens, process)


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    running = start_server(settings)
    yield running
    running.process.terminate()
    try:
        running.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        running.process.kill()
