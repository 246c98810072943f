"""Which host names the app answers to, and the address links point at.

A request's Host header is whatever its sender wrote: a handover link or QR
code built from it, or an Origin check against it, would trust an attacker's
page (DNS rebinding) or a misconfigured proxy. So the public address is
configured: ``PUBLIC_URL`` (e.g. ``https://talentkaart.example.org``) names the
one address people use; without it only ``127.0.0.1`` and ``localhost`` are
answered, which is what a first start on one's own machine needs.

Behind a reverse proxy the client's address is the proxy's, unless
``TRUSTED_PROXIES`` says how many proxies in front of us set X-Forwarded-For
(and -Proto, -Host) truthfully; never trusted otherwise, since anyone can send
those headers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

LOCAL_HOSTS = ["127.0.0.1", "localhost"]


class ConfigError(ValueError):
    """A host setting that cannot work; the message says which and why."""


def parse_public_url(value: str) -> str:
    """``scheme://host[:port]`` without a trailing slash; raise ``ConfigError``."""
    parts = urlsplit(str(value).strip())
    if (parts.scheme not in ("http", "https") or not parts.hostname
            or parts.path not in ("", "/") or parts.query or parts.fragment
            or parts.username or parts.password):
        raise ConfigError(f"PUBLIC_URL must look like https://talentkaart.example.org, "
                          f"not {value!r}")
    try:
        parts.port  # noqa: B018 (a port out of range raises here)
    except ValueError as exc:
        raise ConfigError(f"PUBLIC_URL has a port that is not valid: {value!r}") from exc
    return f"{parts.scheme}://{parts.netloc}"


def _trusted_hosts(config: dict) -> list[str]:
    hosts = config.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):
        hosts = [h.strip() for h in hosts.split(",") if h.strip()]
    if hosts is not None and not (isinstance(hosts, list)
                                  and all(isinstance(h, str) and h for h in hosts)):
        raise ConfigError("TRUSTED_HOSTS must be a list of host names, "
                          "e.g. talentkaart.example.org,localhost")
    if config.get("PUBLIC_URL"):
        return [urlsplit(config["PUBLIC_URL"]).hostname, *(hosts or [])]
    return hosts or list(LOCAL_HOSTS)


def set_public_url(app: Flask, value: str | None) -> None:
    """Set (or clear) the public address and the hosts answered with it."""
    app.config["PUBLIC_URL"] = parse_public_url(value) if value else None
    app.config["TRUSTED_HOSTS"] = _trusted_hosts({**app.config, "TRUSTED_HOSTS": app.config.get(
        "CONFIGURED_TRUSTED_HOSTS")})


def is_local_only(app: Flask) -> bool:
    """True when only this machine's own names are answered (no public address)."""
    return not app.config.get("PUBLIC_URL") and app.config["TRUSTED_HOSTS"] == LOCAL_HOSTS


def init_app(app: Flask) -> None:
    """Check the host settings, answer only trusted hosts, read proxy headers if told to."""
    config = app.config
    config["CONFIGURED_TRUSTED_HOSTS"] = config.get("TRUSTED_HOSTS")
    set_public_url(app, config.get("PUBLIC_URL"))
    proxies = config.get("TRUSTED_PROXIES") or 0
    if not isinstance(proxies, int) or isinstance(proxies, bool) or not 0 <= proxies <= 5:
        raise ConfigError("TRUSTED_PROXIES must be a whole number from 0 to 5")
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,
                                x_host=proxies)
    # First of all hooks: nothing (sessions, form tokens, pages) for an untrusted host.
    app.before_request(_refuse_untrusted_host)


def _refuse_untrusted_host() -> None:
    if isinstance(request.routing_exception, SecurityError):
        raise request.routing_exception


def public_origin() -> str:
    """``scheme://host[:port]`` people reach us at: the configured one, else the
    request's, whose host has passed the trusted-hosts check."""
    return current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")


def external_url_for(endpoint: str, **values) -> str:
    """An absolute link (for a QR code or to send on), at the public address."""
    return public_origin() + url_for(endpoint, **values)
