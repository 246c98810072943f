"""The vendored htmx is the file we pinned, and nothing loads code or styles from elsewhere."""

import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor" / "htmx"

# Text files a browser could load, or that point the browser at something to load.
SCANNED_SUFFIXES = set(".html .jinja .j2 .css .js .mjs .json .webmanifest .svg".split())

# An absolute or protocol-relative URL: anything not served by us.
EXTERNAL = r"""["']?\s*(?:https?:)?//"""

EXTERNAL_REFERENCES = [
    ("script src", re.compile(r"<script\b[^>]*\bsrc\s*=\s*" + EXTERNAL, re.I)),
    (
        "link to a stylesheet, font or script",
        re.compile(
            r"<link\b(?=[^>]*\brel\s*=\s*[\"']?[^\"'>]*"
            r"\b(?:stylesheet|preload|modulepreload|prefetch|icon|manifest)\b)"
            r"[^>]*\bhref\s*=\s*" + EXTERNAL,
            re.I,
        ),
    ),
    ("CSS @import", re.compile(r"@import\s+(?:url\(\s*)?" + EXTERNAL, re.I)),
    ("CSS url()", re.compile(r"\burl\(\s*" + EXTERNAL, re.I)),
    ("JS import", re.compile(r"\b(?:import|from)\s*\(?\s*[\"'](?:https?:)?//", re.I)),
    ("importScripts", re.compile(r"\bimportScripts\s*\(\s*[\"'](?:https?:)?//", re.I)),
]


def sha256_sums(path):
    """Parse a `sha256sum` output file into {filename: hexdigest}."""
    sums = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        digest, name = line.split(maxsplit=1)
        sums[name.lstrip("*")] = digest.lower()
    return sums


def external_references(text):
    """Return (kind, matched text) for every reference to an external script or style."""
    found = []
    for kind, pattern in EXTERNAL_REFERENCES:
        found.extend((kind, match.group(0)) for match in pattern.finditer(text))
    return found


def scanned_files():
    """Template and static files to scan (the vendor LICENSE and README only carry prose)."""
    for folder in (ROOT / "templates", ROOT / "static"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in SCANNED_SUFFIXES:
                yield path


def test_sha256sums_lists_htmx():
    assert "htmx.min.js" in sha256_sums(VENDOR / "SHA256SUMS")


def test_vendored_files_match_their_checksums():
    for name, digest in sha256_sums(VENDOR / "SHA256SUMS").items():
        actual = hashlib.sha256((VENDOR / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name} does not match SHA256SUMS"


def test_vendored_htmx_is_the_pinned_2_0_line():
    assert 'version:"2.0.' in (VENDOR / "htmx.min.js").read_text(encoding="utf-8")


def test_vendored_htmx_carries_its_licence():
    assert "BSD" in (VENDOR / "LICENSE").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "text",
    [
        '<script src="https://unpkg.com/htmx.org@2.0.11"></script>',
        "<script defer src='//cdn.example.org/app.js'></script>",
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Inter">',
        '<link href="http://cdn.example.org/a.css" rel="stylesheet">',
        '@import url("https://fonts.googleapis.com/css2?family=Inter");',
        "@font-face { src: url(https://example.org/font.woff2); }",
        'import { openDB } from "https://cdn.example.org/idb.js";',
        'importScripts("https://cdn.example.org/workbox-sw.js");',
    ],
)
def test_scanner_finds_external_references(text):
    assert external_references(text)


@pytest.mark.parametrize(
    "text",
    [
        "<script src=\"{{ url_for('static', filename='vendor/htmx/htmx.min.js') }}\"></script>",
        '<link rel="stylesheet" href="/static/css/app.css">',
        '<a href="https://www.government.nl/">Government of the Netherlands</a>',
        '<link rel="alternate" hreflang="nl" href="https://talentkaart.example/nl/">',
        "background: url(/static/icons/check.svg);",
        'import { outbox } from "./outbox.js";',
    ],
)
def test_scanner_allows_local_references_and_plain_links(text):
    assert external_references(text) == []


def test_no_template_or_static_file_loads_external_scripts_or_styles():
    offenders = [
        f"{path.relative_to(ROOT)}: {kind}: {snippet}"
        for path in scanned_files()
        for kind, snippet in external_references(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []
