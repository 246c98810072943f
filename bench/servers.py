"""Real servers for the benches: ``talentkaart serve`` on a database of its own, and the
stack's floor (a hello-world Flask app on the same waitress settings).

Each runs as a subprocess on a free port and is stopped when the ``with`` block
ends. Nothing here is a test: the benches print figures.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TALENTKAART = str(Path(PYTHON).with_name("talentkaart"))
THREADS = 8  # talentkaart serve's default


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped: exit code {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 (our own localhost)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextlib.contextmanager
def _serving(command: list[str], ready_path: str, log: Path | None = None,
             env: dict | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run a server ``command`` (with ``{port}`` in it) until the block ends."""
    port = free_port()
    # Its log goes to a file (or nowhere): a full pipe nobody reads would stop it.
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603 (our own commands)
        [part.format(port=port) for part in command], env=env, stdout=subprocess.DEVNULL,
        stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + ready_path, process)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=10)
        if log:
            out.close()


def talentkaart(database: Path | str, *, threads: int = THREADS, extra_env: dict | None = None,
                log: Path | None = None):
    """``talentkaart serve`` on ``database`` (a SQLite path or a PostgreSQL URL); yields
    (base URL, process). What the server logs goes to ``log``, by default ``server.log``
    beside a SQLite database."""
    env = {**os.environ, "TALENTKAART_DATABASE": str(database),
           "TALENTKAART_SECRET_KEY": "bench-secret", **(extra_env or {})}
    return _serving([TALENTKAART, "serve", "--port", "{port}", "--threads", str(threads)],
                    "/sign-in", log or Path(database).with_name("server.log"), env)


def floor(*, threads: int = THREADS):
    """The hello-world Flask app (bench/floor_app.py) on the same waitress settings."""
    return _serving([PYTHON, str(ROOT / "bench" / "floor_app.py"), "--port", "{port}",
                     "--threads", str(threads)], "/")


def sign_in(base: str, username: str, secret: str) -> str:
    """Sign in through the real form; returns the session cookie as a Cookie header."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(f"{base}/sign-in").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"username": username, "secret": secret,
                                   "csrf_token": token}).encode()
    opener.open(f"{base}/sign-in", data=body).close()
    cookies = {c.name: c.value for c in jar}
    if "talentkaart" not in cookies:
        raise RuntimeError(f"could not sign in as {username}")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())
