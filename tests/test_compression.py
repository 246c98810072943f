"""What travels over the phone's data plan: brotli or gzip, never a wasted byte."""

from __future__ import annotations

import gzip

import brotli
import pytest

from pwa.assets import accepted_encoding


@pytest.mark.parametrize(("header", "expected"), [
    ("gzip, deflate, br, zstd", "br"),   # Chromium
    ("gzip, deflate, br", "br"),         # Firefox, Safari
    ("gzip", "gzip"),
    ("br;q=0, gzip", "gzip"),
    ("gzip;q=0", None),
    ("BR", "br"),
    ("identity", None),
    ("", None),
    ("*", None),                         # we only answer what is named
])
def test_the_best_encoding_the_phone_names_is_chosen(header, expected):
    assert accepted_encoding(header) == expected


def decode(response):
    encoding = response.headers.get("Content-Encoding")
    data = response.get_data()
    if encoding == "br":
        return brotli.decompress(data)
    if encoding == "gzip":
        return gzip.decompress(data)
    assert encoding is None
    return data


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_a_page_is_compressed_and_decodes_to_the_same_page(client, encoding):
    plain = client.get("/sign-in", headers={"Accept-Encoding": "identity"})
    packed = client.get("/sign-in", headers={"Accept-Encoding": encoding})
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    # The form token differs per request; everything else is the same page.
    assert decode(packed).split(b'name="csrf_token"')[0] == plain.get_data().split(
        b'name="csrf_token"')[0]
    assert len(packed.get_data()) < len(plain.get_data()) / 2


def test_brotli_beats_gzip_on_the_biggest_static_file(client):
    path = "/static/vendor/htmx/htmx.min.js"
    br = client.get(path, headers={"Accept-Encoding": "br"})
    gz = client.get(path, headers={"Accept-Encoding": "gzip"})
    with client.get(path) as plain:
        assert decode(br) == decode(gz) == plain.get_data()
    assert len(br.get_data()) < len(gz.get_data())
    # Each encoding has its own ETag, so a cache never mixes the two.
    assert br.headers["ETag"] != gz.headers["ETag"]


def test_small_answers_and_images_are_sent_as_they_are(client):
    with client.get("/static/icons/icon-192.png", headers={"Accept-Encoding": "br"}) as png:
        assert png.status_code == 200 and "Content-Encoding" not in png.headers


@pytest.mark.parametrize("signed_in", [False, True])
def test_fingerprinted_files_are_the_same_for_everyone_and_kept_a_year(client, make_user, login,
                                                                       signed_in):
    """Before, static files answered "Vary: Cookie": htmx and the CSS downloaded again
    after sign-in, and once more for the service worker."""
    import re

    if signed_in:
        login(make_user("refugee")[0])
    html = client.get("/sign-in" if not signed_in else "/outbox").get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\?v=[0-9a-f]+)"', html)
    assert len(assets) >= 3
    for url in assets:
        response = client.get(url, headers={"Accept-Encoding": "br"})
        assert response.status_code == 200, url
        assert set(response.vary) <= {"Accept-Encoding"}, (url, response.vary)
        assert "Set-Cookie" not in response.headers and "Expires" not in response.headers
        assert response.cache_control.max_age == 365 * 24 * 3600
        assert response.cache_control.immutable
        response.close()  # a PNG is sent from its file: close it
