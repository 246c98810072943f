"""The production server: waitress, and a fast "busy, try again" when it is full.

When more requests wait than the threads can serve soon, waiting longer helps
nobody: a phone's request would hang until it times out (30 s in our load test)
and then be sent again. Instead the request is answered at once with 503 and
Retry-After, without running the app: the phone's outbox keeps the change and
sends it again, the service worker shows the kept page. A request waits at most
``queue`` requests long.
"""

from __future__ import annotations

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
    """Waitress's thread pool, answering "busy" for what is queued past ``limit``."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def add_task(self, task):
        request = task.requests[0] if getattr(task, "requests", None) else None
        with self.lock:
            full = len(self.queue) >= self.limit
        if full and request is not None and request.error is None:
            request.error = ServerBusy(request.headers.get("ACCEPT_LANGUAGE"))
            # Answered here, on the thread that reads the network, without waiting for a
            # worker: an error answer never runs the app and costs a fraction of a
            # millisecond.
            task.service()
            return
        super().add_task(task)


def serve(app: Flask, *, host: str, port: int, threads: int, queue: int) -> None:
    """Serve ``app`` until stopped; at most ``queue`` requests wait for a thread."""
    dispatcher = SheddingDispatcher(queue)
    dispatcher.set_thread_count(threads)
    server = create_server(app, host=host, port=port, threads=threads,
                           _dispatcher=dispatcher)
    server.run()
