"""Print how many bytes a first visit to each page transfers, against the page-weight budget.

Starts nothing itself: point it at a running server (see bench/README.md). Each page is loaded
in a fresh browser context (cold cache, no service worker yet) and every response's transferred
size is read from Chromium's own accounting, `Network.loadingFinished.encodedDataLength`: the
compressed body plus response headers, the figure DevTools shows as "transferred".

    .venv/bin/python bench/page_weight.py /auth/sign-in /profile/

It prints a figure, not a verdict: the exit code is 0 whether the page is under budget or over.
"""

import argparse
import os
import sys
from urllib.parse import urljoin, urlsplit

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
        default=["/auth/sign-in"],
        help="paths to load, each starting with / (default: /auth/sign-in)",
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
    args = parser.parse_args(argv)

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


def main(argv=None):
    """Measure every path and print the figures."""
    args = parse_args(argv)
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
