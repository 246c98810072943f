"""When the server is full it says so at once (503, Retry-After), never a long hang.

A real ``talentkaart serve`` with one thread and a queue of two; the app is made
slow on purpose by a request that holds the thread until the test lets it go
(an event, not a sleep). Requests beyond the queue get their 503 while the thread
is still busy, in the reader's language; the queued ones are served after.
"""

from __future__ import annotations

import http.client
import threading

import pytest
from flask import Flask
from waitress.server import create_server

from pwa.server import RETRY_AFTER_SECONDS, SheddingDispatcher


@pytest.fixture
def held_server():
    release, holding = threading.Event(), threading.Event()
    app = Flask(__name__)

    @app.get("/hold")
    def hold():
        holding.set()
        release.wait(timeout=30)
        return "done"

    @app.get("/")
    def index():
        return "hello"

    dispatcher = SheddingDispatcher(limit=2)
    dispatcher.set_thread_count(1)
    server = create_server(app, host="127.0.0.1", port=0, threads=1, _dispatcher=dispatcher)

    def serve():
        try:
            server.run()
        except (OSError, ValueError):
            pass  # its sockets were closed under its select() at the end of the test

    runner = threading.Thread(target=serve, daemon=True)
    runner.start()
    try:
        yield server.effective_port, release, holding, dispatcher
    finally:
        release.set()  # also when an assertion failed: nothing waits for its time-out
    server.close()
    # Connections still open are closed here, not left to a later test's garbage
    # collection (a ResourceWarning there fails that test); the loop then has nothing left.
    for channel in list(server._map.values()):
        channel.close()
    runner.join(timeout=10)
    dispatcher.shutdown()


def ask(port, path, language="en", results=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Accept-Language": language})
    response = connection.getresponse()
    answer = (response.status, response.getheader("Retry-After"), response.read().decode())
    connection.close()
    if results is not None:
        results.append(answer)
    return answer


def test_beyond_the_queue_the_answer_is_busy_at_once(held_server):
    port, release, holding, dispatcher = held_server
    held = threading.Thread(target=ask, args=(port, "/hold"))
    held.start()
    assert holding.wait(timeout=10)  # the one thread is busy now
    queued: list = []
    waiting = [threading.Thread(target=ask, args=(port, "/", "en", queued)) for _ in range(2)]
    for thread in waiting:
        thread.start()
    # Both now wait in the queue (which is then full) ...
    with dispatcher.lock:
        assert dispatcher.queue_cv.wait_for(lambda: len(dispatcher.queue) == 2, timeout=10)
    # ... so the next one is turned away at once, while the thread is still held.
    status, retry, body = ask(port, "/", "nl")
    assert not release.is_set()  # answered while the only thread is still busy
    assert (status, retry) == (503, str(RETRY_AFTER_SECONDS))
    assert "Talentkaart" in body and "wijzigingen" in body  # Dutch, as asked
    assert not release.is_set()
    release.set()
    held.join(timeout=10)
    for thread in waiting:
        thread.join(timeout=10)
    assert sorted(status for status, _, _ in queued) == [200, 200]


def test_turning_many_away_at_once_never_stops_the_server(held_server):
    # Busy answers were once written on the thread that reads the network while it held
    # the connection's lock: with many phones at once the whole server stopped.
    port, release, holding, dispatcher = held_server
    held = threading.Thread(target=ask, args=(port, "/hold"))
    held.start()
    assert holding.wait(timeout=10)
    answers: list = []
    crowd = [threading.Thread(target=ask, args=(port, "/", "en", answers)) for _ in range(40)]
    for thread in crowd:
        thread.start()
    for thread in crowd[2:]:
        thread.join(timeout=20)
    busy = [answer for answer in answers if answer[0] == 503]
    assert len(busy) >= 30, answers  # turned away while the one thread was still held
    assert not release.is_set()
    release.set()
    held.join(timeout=10)
    for thread in crowd:
        thread.join(timeout=20)
    assert not any(thread.is_alive() for thread in crowd)
    assert sorted({status for status, _, _ in answers}) == [200, 503]
    assert ask(port, "/")[0] == 200  # and it goes on serving
