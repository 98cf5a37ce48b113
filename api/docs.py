"""The interactive API docs on /docs: Swagger UI from files in this package
(vendored, see api/static/vendor/VENDORED.md), no CDN and no inline script."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
ASSETS = "/docs/assets"

PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Dossier API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{ASSETS}/vendor/swagger-ui-dist/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS}/vendor/swagger-ui-dist/swagger-ui-bundle.js"></script>
  <script src="{ASSETS}/swagger-init.js"></script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)


def install(app: FastAPI) -> None:
    app.mount(ASSETS, StaticFiles(directory=STATIC), name="docs-assets")
    app.include_router(router)
