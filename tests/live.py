"""The real app behind a live HTTP server on loopback, for tests that need real sockets
(browsers, concurrent clients)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import WSGIRequestHandler, make_server

from portal.extensions import db


class QuietHandler(WSGIRequestHandler):
    """The development server's handler without one log line per request."""

    def log_request(self, code="-", size="-") -> None:
        """Thousands of requests would only flood the captured log."""


@contextmanager
def serving(app) -> Iterator[int]:
    """Serve `app` on 127.0.0.1 and a free port in a daemon thread; yield the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
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
