"""The real app behind a live HTTP server on loopback, for tests that need real sockets
(browsers, concurrent clients)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import WSGIRequestHandler, make_server

from portal.extensions import db

# The responses of the request the current server thread is answering.
_answering = threading.local()


class _ClosedOnce:
    """A response body that is closed exactly once, however the request ends."""

    def __init__(self, body):
        self.body = body
        self.closed = False

    def __iter__(self):
        return iter(self.body)

    def close(self) -> None:
        """Close the wrapped body (a static file, say) the first time only."""
        if not self.closed:
            self.closed = True
            if hasattr(self.body, "close"):
                self.body.close()


def _closing(app):
    """The app, with each response body kept until its request is over (see QuietHandler)."""

    def wrapped(environ, start_response):
        body = _ClosedOnce(app(environ, start_response))
        _answering.bodies.append(body)
        return body

    return wrapped


class QuietHandler(WSGIRequestHandler):
    """The development server's handler without one log line per request.

    When a browser drops a connection while a body is sent (a favicon as the next page
    loads), werkzeug's handler fails while draining the socket, before it closes the body;
    the file would then be left to the garbage collector (a ResourceWarning). The body is
    closed here instead, once the request is over.
    """

    def run_wsgi(self) -> None:
        """Answer one request, then close whatever body it produced."""
        _answering.bodies = []
        try:
            super().run_wsgi()
        finally:
            for body in _answering.bodies:
                body.close()
            _answering.bodies = []

    def log_request(self, code="-", size="-") -> None:
        """Thousands of requests would only flood the captured log."""


@contextmanager
def serving(app) -> Iterator[int]:
    """Serve `app` on 127.0.0.1 and a free port in a daemon thread; yield the port."""
    server = make_server("127.0.0.1", 0, _closing(app), threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        with app.app_context():
            db.engine.dispose()
