"""Slow and idle clients over a real `dossier serve`: a request head or body that
does not arrive in time loses its connection (or gets a 408), so a crowd of
them cannot take the slots other clients need."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dossier.settings import Settings
from tests.e2e.conftest import Server, start_server

HEAD_SECONDS = 1
BODY_SECONDS = 2
MAX_CONNECTIONS = 20
# How long a test waits for the server before calling it stuck: far beyond
# the deadlines above, so a slow machine does not fail the test.
PATIENCE = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("slow-clients") / "var"
    running = start_server(
        Settings(database_url=None, data_dir=data_dir),
        environment={
            "DOSSIER_HEADER_TIMEOUT_SECONDS": str(HEAD_SECONDS),
            "DOSSIER_BODY_TIMEOUT_SECONDS": str(BODY_SECONDS),
            "DOSSIER_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        },
    )
    yield running
    running.process.terminate()
    running.process.wait(timeout=15)


def connect(server: Server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)), timeout=PATIENCE)
    return conn


def closed_by_server(conn: socket.socket) -> bool:
    """Reads until the server closes the connection (True) or PATIENCE passes."""
    try:
        while conn.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


def test_a_request_head_that_never_finishes_loses_its_connection(
    server: Server,
) -> None:
    with connect(server) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # no blank line

        assert closed_by_server(conn)


def test_a_head_sent_a_byte_at_a_time_loses_its_connection(server: Server) -> None:
    # Sent whole, this head would take a minute: each byte comes well within
    # the keep-alive time, which alone would keep the connection forever.
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    closed = False
    with connect(server) as conn:
        conn.settimeout(0.3)  # the pace: one byte per 0.3 s
        for byte in head:
            try:
                conn.sendall(bytes([byte]))
                if conn.recv(1) == b"":
                    closed = True
            except TimeoutError:
                continue
            except OSError:  # reset or broken pipe: closed by the server
                closed = True
            if closed:
                break

    assert closed


def test_a_body_that_trickles_is_answered_408(server: Server) -> None:
    with connect(server) as conn:
        conn.sendall(
            b"POST /api/v1/cases HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
        answer = b""
        try:
            while chunk := conn.recv(4096):
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass

    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 408 Request Timeout"
    assert b"application/problem+json" in answer
    assert b"body-too-slow" in answer


def test_a_crowd_of_idle_connections_does_not_lock_others_out(server: Server) -> None:
    crowd = [connect(server) for _ in range(MAX_CONNECTIONS + 10)]
    try:
        for conn in crowd:
            conn.sendall(b"GET /healthz HTTP/1.1\r\n")
        deadline = time.monotonic() + PATIENCE
        status = None
        while time.monotonic() < deadline:
            try:
                status = httpx.get(server.url + "/healthz", timeout=5).status_code
            except httpx.HTTPError:
                status = None
            if status == 200:
                break
            time.sleep(0.2)
        assert status == 200
        assert all(closed_by_server(conn) for conn in crowd)
    finally:
        for conn in crowd:
            conn.close()


def test_a_keep_alive_client_that_pauses_between_requests_is_served(
    server: Server,
) -> None:
    with httpx.Client(base_url=server.url, timeout=PATIENCE) as client:
        first = client.get("/healthz")
        time.sleep(HEAD_SECONDS / 2)
        second = client.get("/healthz")

    assert (first.status_code, second.status_code) == (200, 200)
