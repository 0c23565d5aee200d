"""Load and crash tests: a live HTTP server under concurrency, a close racing time posts, and
a `flask close-month` killed mid-transaction."""
