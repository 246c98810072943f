"""The production server: waitress, and a fast "busy, try again" when it is full.

When more requests wait than the threads can serve soon, waiting longer helps
nobody: a phone's request would hang until it times out (30 s in our load test)
and then be sent again. Instead the request is answered at once with 503 and
Retry-After, without running the app: the phone's outbox keeps the change and
sends it again, the service worker shows the kept page. A request waits at most
``queue`` requests long.
"""

from __future__ import annotations

import ctypes
import queue
import sys
import threading

from babel.support import Translations
from flask import Flask
from waitress.server import create_server
from waitress.task import ThreadedTaskDispatcher
from waitress.utilities import Error

from pwa import ROOT
from sync import locales
from sync.messages import N_

RETRY_AFTER_SECONDS = 5
BUSY = N_("Talentkaart is very busy right now. Your changes are kept; please try again "
          "in a moment.")


class ServerBusy(Error):
    """The answer for a request that would wait too long."""

    code = 503
    reason = "Service Unavailable"

    def __init__(self, accept_language: str | None):
        locale = locales.negotiate(accept_language)
        catalog = Translations.load(str(ROOT / "translations"), [locale])
        super().__init__(catalog.gettext(BUSY))

    def to_response(self, ident=None):
        # Only the sentence, in the reader's language: no English words around it.
        return (f"{self.code} {self.reason}",
                [("Content-Type", "text/plain; charset=utf-8"),
                 ("Retry-After", str(RETRY_AFTER_SECONDS))], self.body.encode("utf-8"))


class SheddingDispatcher(ThreadedTaskDispatcher):
    """Waitress's thread pool, answering "busy" for what is queued past ``limit``.

    The busy answers are written by a thread of their own: never by a worker (they
    are all busy, that is the point) and never by the thread that reads the
    network, which hands a request over while it holds that connection's lock
    (answering there stopped the whole server under load: tests/test_server.py).
    An error answer never runs the app, so one thread writes them fast.
    """

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit
        self.turned_away: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._answer_busy, name="busy", daemon=True).start()

    def add_task(self, task):
        request = task.requests[0] if getattr(task, "requests", None) else None
        with self.lock:
            full = len(self.queue) >= self.limit
        if full and request is not None and request.error is None:
            request.error = ServerBusy(request.headers.get("ACCEPT_LANGUAGE"))
            self.turned_away.put(task)
            return
        super().add_task(task)

    def _answer_busy(self) -> None:
        while True:
            task = self.turned_away.get()
            if task is None:
                return
            try:
                task.service()
            except Exception:  # noqa: BLE001 - one broken connection must not stop the rest
                self.logger.exception("Exception while answering busy")

    def shutdown(self, cancel_pending=True, timeout=5):
        self.turned_away.put(None)
        return super().shutdown(cancel_pending, timeout)


# glibc's malloc (mallopt's parameter number, malloc.h).
_M_ARENA_MAX = -8


def hold_memory_down() -> None:
    """Keep the server's memory near what it uses, on glibc (Linux).

    By default glibc gives each thread its own heap (up to 8 per core), and once a
    large block is freed it serves later large blocks from those heaps instead of
    from the system: sign-ins' 16 MiB scrypt buffers then stay in many threads'
    heaps. Measured with bench/load.py (50 people, 30 s): peak RSS 209 MB by
    default, 118 to 130 MB with two heaps (four: 153 MB), at the same latency; a
    server run flat out by wrk serves about 10 % fewer pages. (Returning every
    block of 4 MiB and more to the system as well gave 76 MB, but cost 40 % more
    CPU per page.)
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl): it has neither behaviour
        return
    libc.mallopt(_M_ARENA_MAX, 2)


def serve(app: Flask, *, host: str, port: int, threads: int, queue: int,
          connections: int) -> None:
    """Serve ``app`` until stopped; at most ``queue`` requests wait for a thread, at
    most ``connections`` phones are connected at once (waitress's default, 100, made
    the 101st phone of a busy centre wait in the kernel until it timed out)."""
    hold_memory_down()  # before the threads start: each would get its own heap
    dispatcher = SheddingDispatcher(queue)
    dispatcher.set_thread_count(threads)
    # poll(), not select(): select cannot watch a socket numbered 1024 or more, which
    # a thousand phones and the database's files reach.
    server = create_server(app, host=host, port=port, threads=threads,
                           connection_limit=connections, asyncore_use_poll=True,
                           _dispatcher=dispatcher)
    server.run()
