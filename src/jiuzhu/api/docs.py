"""``/docs``: Swagger UI from the files of the ``swagger_ui_bundle`` package, served here.

An agency network often has no way out to the internet, and a page that loads its script from
a CDN is blank there.  The bundle's files are mounted under ``/static/swagger/`` and the page
references nothing else; ReDoc (CDN-only) is not served.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

STATIC = "/static/swagger"


def mount_docs(app: FastAPI) -> None:
    app.mount(STATIC, StaticFiles(directory=swagger_ui_path), name="swagger-ui")

    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} · API",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon-32x32.png",
            oauth2_redirect_url=None,
            swagger_ui_parameters={"persistAuthorization": False},
        )

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)


__all__ = ["STATIC", "mount_docs"]
