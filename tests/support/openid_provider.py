"""A real OpenID provider for the tests (npm oidc-provider, tests/oidc_provider), and a browser stand-in that
walks its login and consent pages."""

from __future__ import annotations

import os
import re
import subprocess
import time
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import httpx

from kernia_desktop.processes import stop_process
from tests.support.server import ROOT, free_port

PROVIDER_DIR = ROOT / "tests" / "oidc_provider"
CLIENT_ID = "kernia-desktop-tests"
CLIENT_SECRET = "a-client-secret-known-only-to-the-tests"
# The same client, sending its secret in the token request's form rather than with HTTP Basic.
POST_CLIENT_ID = f"{CLIENT_ID}-post"
PROVIDER_ID = "testidp"
# Registered without a port: the provider matches loopback redirect URIs on any port (RFC 8252 7.3).
REDIRECT_URI = f"http://127.0.0.1/api/auth/callback/{PROVIDER_ID}"
# Where stock servers take the provider's answer, besides REDIRECT_URI (ours, and Better Auth's generic OAuth
# plugin): kernia's GitLab social provider, and kernia's generic OAuth plugin.
STOCK_REDIRECT_URIS = (
    "http://127.0.0.1/api/auth/callback/gitlab",
    f"http://127.0.0.1/api/auth/oauth2/callback/{PROVIDER_ID}",
)


class OpenIdProvider:
    """`routes="gitlab"` serves the endpoints at GitLab's paths, for a client that builds them from the issuer."""

    def __init__(self, log: Path, routes: str = "default") -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {
            **os.environ,
            "OIDC_PORT": str(self.port),
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_REDIRECT_URIS": ",".join((REDIRECT_URI, *STOCK_REDIRECT_URIS)),
            "OIDC_ROUTES": routes,
        }
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                ["node", "server.mjs"], cwd=PROVIDER_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the OpenID provider did not start:\n{log.read_text()}")
            time.sleep(0.1)

    def environment(self) -> dict[str, str]:
        """The backend settings that configure this provider as the generic OIDC provider `testidp`."""
        prefix = f"KERNIA_OIDC_{PROVIDER_ID.upper()}"
        return {
            f"{prefix}_ISSUER": self.issuer,
            f"{prefix}_CLIENT_ID": CLIENT_ID,
            f"{prefix}_CLIENT_SECRET": CLIENT_SECRET,
            f"{prefix}_NAME": "Test IdP",
        }

    def stop(self) -> None:
        stop_process(self.process, grace_seconds=10)


def _form(page: str, base: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]+)"', page)
    assert action, page
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    return urljoin(base, unescape(action.group(1))), fields


def walk_provider(browser: httpx.Client, authorize_url: str, login: str, *, consent: bool = True) -> str:
    """Signs in at the provider as `login` and grants (or, with consent=False, aborts) access, like a person at
    the provider's pages; returns the URL the provider sends the browser back to, without following it."""
    url, method, data = authorize_url, "GET", None
    provider_origin = urljoin(authorize_url, "/")
    for _ in range(20):
        response = browser.request(method, url, data=data)
        if response.is_redirect:
            url, method, data = urljoin(url, response.headers["location"]), "GET", None
            if not url.startswith(provider_origin):
                return url
            continue
        assert response.status_code == 200, response.text
        page = response.text
        if 'name="login"' in page:
            url, data = _form(page, url)
            data.update(login=login, password="any password")
            method = "POST"
        elif consent:
            url, data = _form(page, url)
            method = "POST"
        else:
            abort = re.search(r'href="([^"]*/abort)"', page)
            assert abort, page
            url, method, data = urljoin(url, unescape(abort.group(1))), "GET", None
    raise AssertionError("the provider's pages did not lead back to the app")
