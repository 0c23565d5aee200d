"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import gc

from portal import create_app

app = create_app()

# What start-up built (modules, the app, locale data: ~100k objects) lives as long as the
# process. Frozen, it is left out of the cyclic collector's full passes, which otherwise
# walk all of it and pause a request for ~35 ms every few dozen requests (docs/PERFORMANCE.md).
gc.collect()
gc.freeze()
