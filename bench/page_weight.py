"""Print how many bytes a first visit to each page transfers, against the page-weight budget.

Starts nothing itself: point it at a running server (see bench/README.md). Each page is loaded
in a fresh browser context (cold cache, no service worker yet) and every response's transferred
size is read from Chromium's own accounting, `Network.loadingFinished.encodedDataLength`: the
compressed body plus response headers, the figure DevTools shows as "transferred".

    .venv/bin/python bench/page_weight.py /sign-in /

With ``--pack USERNAME`` (and ``--secret``) it also signs in as that refugee and fetches their
offline pack the way the phone does: the pack's list (/sync/pack), every page it lists once
in full and the person's entries as data (/sync/pull), then a refresh with nothing changed:
the list again, and only the pages whose tag in it differs from the kept copy's (none).

It prints a figure, not a verdict: the exit code is 0 whether the page is under budget or over.
"""

import argparse
import http.client
import json
import os
import re
import sys
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

DEBIAN_CHROMIUM = "/usr/lib/chromium/chromium"
BUDGET_KB = 50
KB = 1000  # bytes; the budget is in kB, as network figures usually are


def parse_args(argv=None):
    """Parse and check the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "paths",
        nargs="*",
        default=["/sign-in"],
        help="paths to load, each starting with / (default: /sign-in)",
    )
    parser.add_argument(
        "--base-url",
        default="http://127.0.0.1:5000",
        help="where the server answers (default: %(default)s)",
    )
    parser.add_argument(
        "--budget-kb",
        type=float,
        default=BUDGET_KB,
        help="budget per page in kB of 1000 bytes (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30,
        help="seconds to wait for each page to load (default: %(default)s)",
    )
    parser.add_argument(
        "--pack",
        metavar="USERNAME",
        help="also measure this refugee's offline pack: first download and an unchanged refresh",
    )
    parser.add_argument(
        "--secret",
        help="the PIN or passphrase for --pack (the demo's are printed by serve --demo)",
    )
    args = parser.parse_args(argv)
    if args.pack and not args.secret:
        parser.error("--pack needs --secret")

    base = urlsplit(args.base_url)
    if base.scheme not in ("http", "https") or not base.netloc:
        parser.error(f"--base-url must be an http(s) URL with a host, not {args.base_url!r}")
    if base.query or base.fragment:
        parser.error("--base-url must not carry a query or fragment")
    for path in args.paths:
        if not path.startswith("/") or path.startswith("//"):
            parser.error(f"path {path!r} must start with a single /")
    if args.budget_kb <= 0:
        parser.error("--budget-kb must be positive")
    if args.timeout <= 0:
        parser.error("--timeout must be positive")

    chromium = os.environ.get("CHROMIUM_PATH")
    if chromium and not os.access(chromium, os.X_OK):
        parser.error(f"CHROMIUM_PATH={chromium} is not an executable file")
    if not chromium and os.access(DEBIAN_CHROMIUM, os.X_OK):
        chromium = DEBIAN_CHROMIUM
    # None means Playwright's own Chromium, if `playwright install chromium` put one there.
    args.chromium = chromium or None
    return args


def measure_page(browser, url, timeout_ms):
    """Load url in a fresh context; return (status, [(url, resource type, bytes)])."""
    context = browser.new_context(extra_http_headers={"Accept-Encoding": "gzip, br"})
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        requests = {}  # requestId -> [url, type]
        resources = []

        def request_will_be_sent(event):
            redirect = event.get("redirectResponse")
            if redirect:
                # A redirect hop gets no loadingFinished of its own; the same requestId goes on.
                previous = requests.get(event["requestId"], [redirect["url"], "Redirect"])
                size = int(redirect.get("encodedDataLength", 0))
                resources.append((previous[0], f"{redirect['status']} redirect", size))
            requests[event["requestId"]] = [event["request"]["url"], event.get("type", "Other")]

        def loading_finished(event):
            url, kind = requests.get(event["requestId"], ["(unknown)", "Other"])
            resources.append((url, kind, int(event["encodedDataLength"])))

        def loading_failed(event):
            url, kind = requests.get(event["requestId"], ["(unknown)", "Other"])
            resources.append((url, f"{kind} FAILED: {event.get('errorText', '')}", 0))

        cdp.on("Network.requestWillBeSent", request_will_be_sent)
        cdp.on("Network.loadingFinished", loading_finished)
        cdp.on("Network.loadingFailed", loading_failed)
        cdp.send("Network.enable")

        response = page.goto(url, wait_until="load", timeout=timeout_ms)
        # Late requests (htmx's hx-trigger="load", lazy images) belong to the first visit too.
        page.wait_for_load_state("networkidle", timeout=timeout_ms)
        cdp.detach()
        status = response.status if response else None
        return status, [r for r in resources if not r[0].startswith("data:")]
    finally:
        context.close()


def short_url(url, base_url):
    """Show same-origin URLs as paths, others in full (there should be none)."""
    target, base = urlsplit(url), urlsplit(base_url)
    if (target.scheme, target.netloc) == (base.scheme, base.netloc):
        return target.path + (f"?{target.query}" if target.query else "")
    return url


def print_report(path, status, resources, base_url, budget_kb):
    """Print one page's table, its total and the budget verdict; return the total in bytes."""
    total = sum(size for _, _, size in resources)
    print(f"\n{path}  (HTTP {status})")
    print(f"  {'bytes':>9}  {'type':<12}  resource")
    for url, kind, size in sorted(resources, key=lambda r: -r[2]):
        print(f"  {size:>9,}  {kind:<12}  {short_url(url, base_url)}")
    verdict = "OK" if total <= budget_kb * KB else "OVER"
    print(f"  {total:>9,}  total = {total / KB:.1f} kB of {budget_kb:g} kB budget: {verdict}")
    return total


class Session:
    """A signed-in client that counts what crosses the wire, as the service worker's fetches do."""

    def __init__(self, base_url, timeout):
        self.base = urlsplit(base_url)
        self.timeout = timeout
        self.cookies = SimpleCookie()

    def request(self, method, path, body=None, headers=None):
        """Send one request; return (status, headers, raw body, bytes transferred)."""
        kind = http.client.HTTPSConnection if self.base.scheme == "https" else \
            http.client.HTTPConnection
        connection = kind(self.base.netloc, timeout=self.timeout)
        cookie = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers={
                "Accept-Encoding": "gzip, br", **({"Cookie": cookie} if cookie else {}),
                **(headers or {})})
            response = connection.getresponse()
            data = response.read()  # still compressed: http.client does not decode
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(value)
        head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n\r\n") + sum(
            len(f"{name}: {value}\r\n") for name, value in response.headers.items())
        return response.status, response.headers, data, head + len(data)

    def sign_in(self, username, secret):
        """Sign in through the form; return the person's id (from where it sends us)."""
        _, _, html, _ = self.request("GET", "/sign-in", headers={"Accept-Encoding": "identity"})
        token = re.search(rb'name="csrf_token" value="([^"]+)"', html).group(1).decode()
        status, headers, _, _ = self.request(
            "POST", "/sign-in",
            body=urlencode({"username": username, "secret": secret, "csrf_token": token}),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        match = re.search(r"/people/([^/]+)/", headers.get("Location") or "")
        if status != 303 or not match:
            raise SystemExit(f"could not sign in as {username} (HTTP {status})")
        return match.group(1)


def pack_figures(base_url, username, secret, timeout=30):
    """Fetch a refugee's pack as the phone does, then refresh it with nothing changed.

    Returns {"pages": n, "first": pass, "refresh": pass}, each pass
    {"bytes", "requests", "statuses": {status: count}}: what the server sent.
    """
    client = Session(base_url, timeout)
    person = client.sign_in(username, secret)
    sync = {"X-Talentkaart-Sync": "1"}
    kept = {}  # url -> the kept copy's ETag
    passes = {}
    for label in ("first", "refresh"):
        figures = {"bytes": 0, "requests": 0, "statuses": {}}

        def get(path, headers=None, figures=figures):
            status, response_headers, body, size = client.request("GET", path, headers=headers)
            figures["bytes"] += size
            figures["requests"] += 1
            figures["statuses"][status] = figures["statuses"].get(status, 0) + 1
            return status, response_headers, body

        status, headers, body = get(f"/sync/pack?person={person}", sync)
        listing = json.loads(decoded(headers, body))
        for url in listing["urls"]:
            if kept.get(url) and kept[url] == listing["tags"].get(url):
                continue  # the kept copy is current: not asked for at all
            condition = {"If-None-Match": kept[url]} if url in kept else {}
            status, headers, _ = get(url, condition)
            if status == 200 and headers.get("ETag"):
                kept[url] = headers["ETag"]
        if label == "first":
            get(f"/sync/pull?person={person}&since=0", sync)  # the entries, as data
        passes[label] = figures
    return {"pages": len(listing["urls"]), **passes}


def decoded(headers, body):
    """A response body as sent, decompressed."""
    encoding = headers.get("Content-Encoding")
    if encoding == "br":
        import brotli

        return brotli.decompress(body)
    if encoding == "gzip":
        import gzip

        return gzip.decompress(body)
    return body


def measure_pack(args):
    """Print the figures of a refugee's pack: first download and an unchanged refresh."""
    figures = pack_figures(args.base_url, args.pack, args.secret, args.timeout)
    print(f"\nOffline pack of {args.pack}: {figures['pages']} pages, and the entries as data")
    for label, key in (("first download", "first"), ("refresh, nothing changed", "refresh")):
        done = figures[key]
        counts = ", ".join(f"{n} x {status}" for status, n in sorted(done["statuses"].items()))
        print(f"  {label:<26} {done['bytes']:>9,} bytes = {done['bytes'] / KB:.1f} kB"
              f"  ({done['requests']} requests: {counts})")


def main(argv=None):
    """Measure every path and print the figures."""
    args = parse_args(argv)
    if args.pack:
        measure_pack(args)
    print(f"Transferred bytes per page, cold cache, {args.base_url}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium)
        try:
            for path in args.paths:
                url = urljoin(args.base_url, path)
                try:
                    status, resources = measure_page(browser, url, args.timeout * 1000)
                except PlaywrightError as error:
                    print(
                        f"\n{path}: could not load {url}: {error.message.splitlines()[0]}",
                        file=sys.stderr,
                    )
                    return 1
                print_report(path, status, resources, args.base_url, args.budget_kb)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
