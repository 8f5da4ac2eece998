"""An account's restore against a live backend: signed back in, forgotten when revoked, kept when offline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kernia_desktop.account import OFFLINE_NOTICE, Account
from kernia_desktop.client import AuthClient
from kernia_desktop.partition import DEFAULT_PARTITION, Partition
from kernia_desktop.vault import Vault, VaultHealth
from tests.support.fakes import MemoryStore
from tests.support.server import PASSWORD, LiveServer, free_port, unique_email


def account_for(base_url: str, store: MemoryStore) -> Account:
    vault = Vault("kernia-desktop:test", store, VaultHealth(True, "test"))
    return Account(Partition(DEFAULT_PARTITION), AuthClient(base_url), vault)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def signed_in(sqlite_live_server: LiveServer, store: MemoryStore) -> Iterator[Account]:
    account = account_for(f"{sqlite_live_server.url}/api/auth", store)
    account.adopt(account.client.sign_up_email("Restored", unique_email(), PASSWORD))
    yield account
    account.client.close()


def test_restore_signs_back_in_from_the_keyring(
    sqlite_live_server: LiveServer, signed_in: Account, store: MemoryStore
) -> None:
    restored = account_for(f"{sqlite_live_server.url}/api/auth", store)
    restored.restore()
    assert restored.signed_in and restored.user == signed_in.user
    assert restored.state() == {"user": signed_in.user, "notice": None, "partition": DEFAULT_PARTITION}


def test_a_session_revoked_elsewhere_is_forgotten(
    sqlite_live_server: LiveServer, signed_in: Account, store: MemoryStore
) -> None:
    token = store.entries[("kernia-desktop:test", DEFAULT_PARTITION)]
    signed_in.client.revoke_sessions(token)
    restored = account_for(f"{sqlite_live_server.url}/api/auth", store)
    restored.restore()
    assert not restored.signed_in and restored.user is None
    assert store.entries == {}


def test_an_unreachable_server_keeps_the_entry_and_says_so(signed_in: Account, store: MemoryStore) -> None:
    offline = account_for(f"http://127.0.0.1:{free_port()}/api/auth", store)
    offline.restore()
    assert offline.signed_in and offline.state()["notice"] == OFFLINE_NOTICE
    assert ("kernia-desktop:test", DEFAULT_PARTITION) in store.entries
