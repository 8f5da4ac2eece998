"""Case 8: no session token or API key in clear in any file under the data dir or HOME."""

from __future__ import annotations

from pathlib import Path

from e2e.harness import Harness
from e2e.ui import create_api_key
from tests.support.desktop import files_containing, sign_up_in_window
from tests.support.server import unique_email


def test_no_file_holds_a_credential_after_sign_in_or_after_quitting(harness: Harness) -> None:
    launch = harness.launch()
    page = harness.main_page(launch)
    sign_up_in_window(page, "Radia Perlman", unique_email("secrets"))
    api_key = create_api_key(page, "disk check")
    [token] = harness.keyring_tokens()
    roots = (launch.app.data_dir, Path(launch.app.env["HOME"]))

    for secret in (token, api_key):
        assert not files_containing(secret, *roots)
    harness.quit(launch)
    for secret in (token, api_key):
        assert not files_containing(secret, *roots)
