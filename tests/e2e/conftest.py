"""Browser tests: Playwright driving Debian's Chromium against the real app in a live server
thread, on a file SQLite database of the test's own, filled with the demo shop.

No browser is downloaded: the tests use /usr/bin/chromium. Without it they are skipped with
the reason, unless REQUIRE_BROWSER=1 (set by .ci/run), which turns the skip into a failure.
What the tests share besides fixtures (logins, navigation, screenshots) is in helpers.py.
"""

import os
import shutil
from pathlib import Path

import pytest
from flask_migrate import upgrade

from portal import create_app
from portal.extensions import db
from portal.seeding import demo
from tests.helpers import make_config
from tests.live import serving

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    """Skip the browser tests when there is no Chromium, or fail when one is required."""
    if os.path.exists(CHROMIUM):
        return
    reason = f"no Chromium at {CHROMIUM} (apt-get install chromium); browser tests skipped"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"REQUIRE_BROWSER=1 but {reason}")
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright: Debian's Chromium with the flags this closed network needs."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_FLAGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A laptop-sized window in the business's language."""
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "locale": "en-GB"}


def _config(path: Path) -> dict:
    """The app's configuration on a SQLite file: CSRF on, as in production."""
    return make_config("sqlite:///" + str(path), DEMO_SEED=2026)


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory):
    """The demo shop built once through the migrations; each test works on a copy."""
    folder = tmp_path_factory.mktemp("e2e-template")
    path = folder / "demo.sqlite3"
    app = create_app(_config(path), from_environment=False)
    with app.app_context():
        upgrade()
        demo.seed(2026)
        db.session.commit()
        db.engine.dispose()
    return path


@pytest.fixture
def live_url(demo_database, tmp_path):
    """Serve a fresh copy of the demo shop on 127.0.0.1 and a free port; yield its base URL."""
    path = tmp_path / "portal.sqlite3"
    shutil.copyfile(demo_database, path)
    app = create_app(_config(path), from_environment=False)
    with serving(app) as port:
        yield f"http://127.0.0.1:{port}"
