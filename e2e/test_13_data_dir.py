"""Case 13: a data dir the app cannot use is explained in a window, never by a traceback alone: a damaged bundled
database (with a way to move it aside and start fresh), and a data dir mounted read-only. The screenshots of what
the person sees go to test-artifacts/data-dir/."""

from __future__ import annotations

from pathlib import Path

from e2e.harness import Harness
from e2e.ui import SIGNED_IN, SIGNED_OUT
from kernia_desktop_server.settings import DATABASE_FILE
from tests.support.desktop import ARTIFACTS, sign_up_in_window
from tests.support.faults import mounted_read_only
from tests.support.server import unique_email

CANNOT_START = "body[data-view=cannot-start]"
SCREENSHOTS = ARTIFACTS / "data-dir"
DAMAGE = b"this is not a database, whatever its name says. " * 200


def test_a_damaged_database_is_explained_and_moved_aside_for_a_fresh_start(harness: Harness, tmp_path: Path) -> None:
    backend = tmp_path / "data" / "backend"
    backend.mkdir(parents=True)
    (backend / DATABASE_FILE).write_bytes(DAMAGE)

    page = harness.main_page(harness.launch())
    page.wait_for_selector(CANNOT_START, timeout=60_000)
    assert "is damaged" in page.inner_text("#failure")
    page.screenshot(path=SCREENSHOTS / "damaged-database.png")

    page.click("#start-fresh")
    page.wait_for_selector(SIGNED_OUT, timeout=60_000)
    [moved] = backend.glob(f"{DATABASE_FILE}.damaged-*")
    assert moved.read_bytes() == DAMAGE
    sign_up_in_window(page, "Fresh Start", unique_email("fresh"))
    page.wait_for_selector(SIGNED_IN)


def test_a_read_only_data_dir_is_explained_in_a_window(harness: Harness, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with mounted_read_only(data):
        launch = harness.launch()
        page = harness.main_page(launch)
        page.wait_for_selector(CANNOT_START)
        assert "read-only" in page.inner_text("#failure") and str(data) in page.inner_text("#failure")
        page.screenshot(path=SCREENSHOTS / "read-only-data-dir.png")
        page.close()
        assert launch.app.wait(30) == 1
    # The log could not be written in the data dir: it went to stderr.
    said = launch.app.output.read_text()
    assert "the log cannot be written" in said and "read-only" in said and "Traceback" not in said
