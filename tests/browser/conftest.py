"""Browser fixtures: the real app served on a free port, Debian's Chromium.

Playwright's own browser download is not reachable everywhere; when
``CHROMIUM_PATH`` (or Debian's /usr/lib/chromium/chromium) exists we launch
that binary, otherwise Playwright's own Chromium.
"""

from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

from pwa import create_app
from sync.store import Store

CHROMIUM = os.environ.get("CHROMIUM_PATH") or (
    "/usr/lib/chromium/chromium" if os.path.exists("/usr/lib/chromium/chromium") else None)

# A cheap Android phone: small screen, touch, high density.
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch the system Chromium when there is one."""
    args = {**browser_type_launch_args}
    if CHROMIUM:
        args["executable_path"] = CHROMIUM
    return args


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Every page is a phone, in Dutch unless a test says otherwise."""
    return {**browser_context_args, **PHONE, "locale": "nl-NL"}


@pytest.fixture
def live_files(live_app):
    """The live app's folder of people's photos and documents."""
    from sync.files import FileStore

    return FileStore(live_app.config["FILES_DIR"])


@pytest.fixture
def live_app(database, tmp_path_factory):
    """The real app on a fresh database (SQLite file or PostgreSQL), on a free port."""
    app = create_app({"DATABASE": database, "SECRET_KEY": "browser-test-secret",
                      "FILES_DIR": str(tmp_path_factory.mktemp("files"))})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield app
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def base(live_app):
    """The live server's URL."""
    return live_app.config["BASE_URL"]


@pytest.fixture
def live_store(live_app):
    """The live app's database, for arranging and checking."""
    store = Store(live_app.config["DATABASE"])
    yield store
    store.close()
