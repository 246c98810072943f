"""Keeping the bytes down: brotli or gzip for text responses, fingerprinted static URLs.

Mobile data is expensive for our users and waitress does not compress, so the
app does: a first visit must stay under 50 KB transferred. Static files get a
content hash in their URL, so they can be cached for a year and still change
the moment a new version ships.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

import brotli
from flask import Flask, Response, current_app, request, url_for

COMPRESSIBLE = {"text/html", "text/css", "text/javascript", "application/javascript",
                "application/json", "text/csv", "image/svg+xml", "application/manifest+json"}
MIN_SIZE = 500  # below this, the encoding's header costs more than it saves
# Brotli's best takes a few ms per page: fine once per static file, too slow for
# every page, where a middle quality still beats gzip by about a tenth.
BROTLI_STATIC, BROTLI_PAGE = 11, 7
YEAR = 365 * 24 * 3600


@lru_cache(maxsize=256)
def _file_hash(path: str) -> str | None:
    # Once per file and process: pages link static files dozens of times each, and a
    # deployment restarts the server with its files (as the worker's build version).
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    except OSError:
        return None


@lru_cache(maxsize=256)
def _compressed_static(key: str, encoding: str, data: bytes) -> bytes:
    # Static files are the same bytes every time: compress each version once.
    return _encode(encoding, data, static=True)


def _encode(encoding: str, data: bytes, *, static: bool) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=BROTLI_STATIC if static else BROTLI_PAGE)
    return gzip.compress(data, compresslevel=9 if static else 6, mtime=0)


def accepted_encoding(header: str) -> str | None:
    """The best encoding the client accepts: "br", "gzip" or None (a q of 0 refuses)."""
    accepted = set()
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        refused = params.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000")
        if name and not refused:
            accepted.add(name.strip())
    for encoding in ("br", "gzip"):
        if encoding in accepted:
            return encoding
    return None


def static_version(filename: str) -> str | None:
    """A short content hash of a static file, or None if it does not exist."""
    return _file_hash(str(Path(current_app.static_folder) / filename))


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = static_version(values["filename"])
        if version:
            values["v"] = version


def _compress(response: Response) -> Response:
    encoding = accepted_encoding(request.headers.get("Accept-Encoding", ""))
    if (response.status_code not in (200, 201, 422, 400, 403, 404)
            or encoding is None
            or "Content-Encoding" in response.headers
            or response.mimetype not in COMPRESSIBLE
            or request.method == "HEAD"
            or "Range" in request.headers):
        return response
    response.vary.add("Accept-Encoding")
    response.direct_passthrough = False
    source = response.response
    data = response.get_data()
    if hasattr(source, "close"):
        source.close()  # a static file's handle: its bytes are read, the body is replaced
    if len(data) < MIN_SIZE:
        return response
    if request.endpoint == "static":
        body = _compressed_static(request.path, encoding, data)
        if response.get_etag()[0]:
            response.set_etag(f"{response.get_etag()[0]}-{encoding}")
    else:
        body = _encode(encoding, data, static=False)
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    return response


def _cache_static(response: Response) -> Response:
    if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
        response.cache_control.max_age = YEAR
        response.cache_control.public = True
        response.cache_control.immutable = True
        response.headers.pop("Expires", None)  # Flask's default hour would contradict the year
    return response


def _url_for(endpoint: str, **values) -> str:
    # A page links its static files a dozen times: their URLs, with the version, are
    # built once per process (the files are the deployment's), not routed every time.
    if endpoint == "static" and len(values) == 1 and "filename" in values:
        key = (request.script_root, values["filename"])
        known = _STATIC_URLS.get(key)
        if known is None:
            known = _STATIC_URLS[key] = url_for(endpoint, **values)
        return known
    return url_for(endpoint, **values)


_STATIC_URLS: dict[tuple[str, str], str] = {}


def init_app(app: Flask) -> None:
    """Fingerprint static URLs and compress text responses."""
    app.jinja_env.globals["url_for"] = _url_for
    app.url_default_functions.setdefault(None, []).append(_add_version)
    app.after_request(_cache_static)
    app.after_request(_compress)
