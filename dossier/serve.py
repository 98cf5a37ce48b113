"""Composition root of the service process: `dossier serve` (uvicorn)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.container import Container
from dossier import collector
from dossier.bootstrap import (
    build_read_database,
    build_service,
    chain_checkpoints,
    key_maintenance,
)
from dossier.http import HeadDeadlineProtocol
from dossier.logging import configure as configure_logging
from dossier.settings import Settings
from projections.registry import all_projections
from storage.outage import Healer
from storage.passwords import PasswordStore
from storage.sign_in_throttle import SignInThrottle
from storage.stores import check_event_store_connections
from storage.users import UserStore
from storage.web_sessions import SessionStore
from web.app import install_pages
from web.site import Site
from workers.projection_host import ProjectionHost


def build_app(settings: Settings) -> FastAPI:
    """The application with everything it talks to; on the embedded store (or
    when asked) the read models are fed inside this process."""
    service = build_service(settings)
    db = build_read_database(settings)
    host: ProjectionHost | None = None
    if settings.runs_projections_inside:
        host = ProjectionHost(
            service,
            db,
            list(all_projections(settings.intake_norm_weeks).values()),
            poll_seconds=settings.poll_seconds,
            listen_url=settings.database_url,
        )
    container = Container(
        service=service,
        db=db,
        users=UserStore(db),
        projections=host,
        max_body_bytes=settings.max_body_bytes,
        body_timeout_seconds=settings.body_timeout_seconds,
        retention_years=settings.retention_years,
        organisation=settings.organisation,
        outage_seen=Healer(
            [
                db.check_connections,
                partial(check_event_store_connections, service.recorder),
            ]
        ).outage_seen,
    )
    app = create_app(container)
    install_pages(
        app,
        Site(
            container=container,
            passwords=PasswordStore(db),
            sessions=SessionStore(db, idle_seconds=settings.session_idle_minutes * 60),
            throttle=SignInThrottle(db),
            secure_cookies=settings.secure_cookies,
            idle_minutes=settings.session_idle_minutes,
        ),
    )

    # Where the read models are fed in this process (the embedded store), so
    # are the key schedule and the chain's checkpoints; otherwise `dossier
    # worker` runs them.
    keys = key_maintenance(service, settings) if host is not None else None
    checkpoints = chain_checkpoints(service, settings) if host is not None else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if host is not None:
            host.start()
        if keys is not None:
            keys.start()
        if checkpoints is not None:
            checkpoints.start()
        try:
            yield
        finally:
            if checkpoints is not None:
                checkpoints.stop()
            if keys is not None:
                keys.stop()
            if host is not None:
                host.stop()
            db.close()
            service.close()

    app.router.lifespan_context = lifespan
    return app


def app() -> FastAPI:
    """uvicorn's factory: settings from the environment."""
    settings = Settings()
    configure_logging(settings.log_format)
    # Set here, in each uvicorn process: the class goes to uvicorn by name.
    HeadDeadlineProtocol.header_seconds = settings.header_timeout_seconds
    built = build_app(settings)
    collector.tune()
    return built


def serve(settings: Settings) -> None:
    configure_logging(settings.log_format)
    uvicorn.run(
        "dossier.serve:app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="warning",
        access_log=False,
        server_header=False,  # no banner naming the server
        limit_concurrency=settings.max_connections,
        h11_max_incomplete_event_size=16 * 1024,  # request line and headers
        timeout_keep_alive=5,
        http=HeadDeadlineProtocol,  # slow request heads are cut off
    )
