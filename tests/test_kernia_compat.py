"""The shell's auth client against a stock `kernia` 0.1.0 server from PyPI, not our backend.

The server (tests/kernia_stock/server.py) is configured only through kernia's own options: email/password and
its bearer plugin, which is what makes `Authorization: Bearer` and the `set-auth-token` header work there.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from kernia_desktop.account import Account
from kernia_desktop.client import AuthClient, ServerError
from kernia_desktop.partition import DEFAULT_PARTITION, Partition
from kernia_desktop.vault import Vault, VaultHealth
from tests.support.fakes import MemoryStore
from tests.support.server import PASSWORD, unique_email
from tests.support.stock_servers import StockKerniaServer

STOCK_VERSION = "0.1.0"


@pytest.fixture
def kernia_server(tmp_path: Path) -> Iterator[StockKerniaServer]:
    assert version("kernia") == STOCK_VERSION
    server = StockKerniaServer(tmp_path / "stock")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(kernia_server: StockKerniaServer) -> Iterator[AuthClient]:
    client = AuthClient(f"{kernia_server.url}/api/auth")
    yield client
    client.close()


@pytest.fixture
def vault() -> Vault:
    return Vault("kernia-stock-test", MemoryStore(), VaultHealth(usable=True, backend="test"))


def new_account(client: AuthClient, vault: Vault) -> Account:
    """A fresh Account, as the shell builds one at start-up."""
    return Account(Partition(DEFAULT_PARTITION), client, vault)


def test_email_sign_up_sign_in_and_bearer_session(client: AuthClient) -> None:
    email = unique_email("stock")
    signed_up = client.sign_up_email("Stock User", email, PASSWORD)
    assert signed_up.token and signed_up.user["email"] == email

    signed_in = client.sign_in_email(email, PASSWORD)
    assert signed_in.token and signed_in.token != signed_up.token
    assert signed_in.user["id"] == signed_up.user["id"]

    for token in (signed_up.token, signed_in.token):
        state = client.get_session(token)
        assert state is not None
        assert state.user["email"] == email and state.user["name"] == "Stock User"
        assert state.session["id"] and state.rotated_token is None

    with pytest.raises(ServerError) as refused:
        client.sign_in_email(email, "not the password")
    assert refused.value.status == 401 and refused.value.code == "INVALID_CREDENTIALS"
    assert client.get_session("not-a-token") is None


def test_account_restores_from_the_stored_token_and_signs_out(client: AuthClient, vault: Vault) -> None:
    email = unique_email("stock")
    client.sign_up_email("Stock User", email, PASSWORD)
    new_account(client, vault).adopt(client.sign_in_email(email, PASSWORD))
    token = vault.load(DEFAULT_PARTITION)
    assert token is not None

    account = new_account(client, vault)
    account.restore()
    assert account.signed_in and not account.offline
    assert account.user is not None and account.user["email"] == email
    assert vault.load(DEFAULT_PARTITION) == token

    account.sign_out()
    assert not account.signed_in and account.user is None
    assert vault.load(DEFAULT_PARTITION) is None
    assert client.get_session(token) is None


def test_restore_forgets_a_session_revoked_elsewhere(client: AuthClient, vault: Vault) -> None:
    email = unique_email("stock")
    client.sign_up_email("Stock User", email, PASSWORD)
    signed_in = client.sign_in_email(email, PASSWORD)
    new_account(client, vault).adopt(signed_in)

    client.sign_out(signed_in.token)
    assert client.get_session(signed_in.token) is None
    assert vault.load(DEFAULT_PARTITION) == signed_in.token

    account = new_account(client, vault)
    account.restore()
    assert not account.signed_in and account.user is None
    assert vault.load(DEFAULT_PARTITION) is None
