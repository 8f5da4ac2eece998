"""An account against a live backend: restored, forgotten when revoked, kept when offline (with the last known user)
and reconnected, signed out offline with the revocation sent later, and a keyring that cannot be written told and
tried again. The network's outages are a transport that refuses to connect while the test says so."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx
import pytest

from kernia_desktop.account import (
    KEYRING_NOT_KEPT,
    OFFLINE_NOTICE,
    PROFILE_FIELDS,
    SIGNED_OUT_EVERYWHERE,
    SIGNED_OUT_LATER,
    Account,
    Backoff,
)
from kernia_desktop.client import AuthClient, Offline, SignedIn
from kernia_desktop.partition import DEFAULT_PARTITION, Partition
from kernia_desktop.vault import Vault, VaultHealth
from tests.support.desktop import wait_until
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
    assert restored.state() == {
        "user": signed_in.user,
        "offline": False,
        "notice": None,
        "partition": DEFAULT_PARTITION,
    }


def test_a_session_revoked_elsewhere_is_forgotten(
    sqlite_live_server: LiveServer, signed_in: Account, store: MemoryStore
) -> None:
    token = store.entries[("kernia-desktop:test", DEFAULT_PARTITION)]
    signed_in.client.revoke_sessions(token)
    restored = account_for(f"{sqlite_live_server.url}/api/auth", store)
    restored.restore()
    assert not restored.signed_in and restored.user is None
    assert store.entries == {}


def test_an_unreachable_server_keeps_the_entry_and_shows_the_last_known_user(
    signed_in: Account, store: MemoryStore
) -> None:
    offline = account_for(f"http://127.0.0.1:{free_port()}/api/auth", store)
    offline.restore()
    state = offline.state()
    assert offline.signed_in and state["offline"] and state["notice"] == OFFLINE_NOTICE
    assert signed_in.user is not None and state["user"] == {key: signed_in.user[key] for key in PROFILE_FIELDS}
    assert ("kernia-desktop:test", DEFAULT_PARTITION) in store.entries


class Network(httpx.BaseTransport):
    """A transport to the live server that refuses every connection while `down` is set."""

    def __init__(self) -> None:
        self.down = threading.Event()
        self._through = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.down.is_set():
            raise httpx.ConnectError("connection refused", request=request)
        return self._through.handle_request(request)

    def close(self) -> None:
        self._through.close()


@pytest.fixture
def network() -> Network:
    return Network()


def behind(network: Network, server: LiveServer, store: MemoryStore, **options: Any) -> Account:
    vault = Vault("kernia-desktop:test", store, VaultHealth(True, "test"), options.pop("is_locked", lambda: False))
    client = AuthClient(f"{server.url}/api/auth", transport=network)
    return Account(Partition(DEFAULT_PARTITION), client, vault, backoff=lambda: Backoff(0.05, 0.2), **options)


def signed_up_behind(
    network: Network, server: LiveServer, store: MemoryStore, name: str, **options: Any
) -> tuple[Account, SignedIn]:
    """A new user's account, signed in through `network`."""
    account = behind(network, server, store, **options)
    signed_up = account.client.sign_up_email(name, unique_email(), PASSWORD)
    account.adopt(signed_up)
    return account, signed_up


def test_a_network_error_never_signs_out_and_the_account_reconnects_by_itself(
    sqlite_live_server: LiveServer, network: Network, store: MemoryStore
) -> None:
    account, _ = signed_up_behind(network, sqlite_live_server, store, "Kept")
    changes: list[dict[str, Any]] = []
    account.on_change = lambda: changes.append(account.state())

    network.down.set()
    with pytest.raises(Offline):
        account.authorized(account.client.list_sessions)
    assert account.signed_in and account.offline and changes[-1]["offline"]
    network.down.clear()
    assert wait_until(lambda: not account.offline)
    assert changes[-1]["offline"] is False and changes[-1]["user"]["name"] == "Kept"


def test_a_session_the_server_ended_while_offline_signs_out_on_reconnection(
    sqlite_live_server: LiveServer, network: Network, store: MemoryStore
) -> None:
    account, signed_up = signed_up_behind(network, sqlite_live_server, store, "Ended")
    network.down.set()
    with pytest.raises(Offline):
        account.authorized(account.client.list_sessions)
    with closing(AuthClient(f"{sqlite_live_server.url}/api/auth")) as elsewhere:
        elsewhere.revoke_sessions(signed_up.token)
    network.down.clear()
    account.reconnect()
    assert wait_until(lambda: not account.signed_in)
    assert store.entries == {}


def test_signing_out_offline_forgets_at_once_and_revokes_once_the_server_answers(
    sqlite_live_server: LiveServer, network: Network, store: MemoryStore
) -> None:
    account, signed_up = signed_up_behind(network, sqlite_live_server, store, "Leaving")
    network.down.set()
    assert account.sign_out() == SIGNED_OUT_LATER
    assert not account.signed_in
    assert list(store.entries) == [("kernia-desktop:test", f"{DEFAULT_PARTITION}#revoke")]

    # Even an app closed meanwhile sends it: a new account of the partition finds it in the keyring.
    account.close()
    account.client.close()
    restarted = behind(network, sqlite_live_server, store)
    network.down.clear()
    restarted.restore()
    assert wait_until(lambda: store.entries == {})
    with closing(AuthClient(f"{sqlite_live_server.url}/api/auth")) as outside:
        assert outside.get_session(signed_up.token) is None


def test_signing_out_online_says_the_server_ended_the_session(
    sqlite_live_server: LiveServer, network: Network, store: MemoryStore
) -> None:
    account, signed_up = signed_up_behind(network, sqlite_live_server, store, "Online")
    assert account.sign_out(everywhere=True) == SIGNED_OUT_EVERYWHERE
    assert store.entries == {} and account.client.get_session(signed_up.token) is None


def test_a_keyring_locked_while_the_app_runs_is_told_and_written_once_unlocked(
    sqlite_live_server: LiveServer, network: Network, store: MemoryStore
) -> None:
    locked = threading.Event()
    locked.set()
    account, _ = signed_up_behind(
        network, sqlite_live_server, store, "Locked", is_locked=locked.is_set, keyring_retry=0.05
    )
    assert account.signed_in and account.state()["notice"] == KEYRING_NOT_KEPT
    assert store.entries == {}

    locked.clear()
    assert wait_until(lambda: account.state()["notice"] is None)
    assert ("kernia-desktop:test", DEFAULT_PARTITION) in store.entries


def test_backoff_doubles_up_to_its_longest_wait_with_jitter() -> None:
    backoff = Backoff(1.0, 8.0)
    delays = [backoff.delay() for _ in range(6)]
    for delay, ceiling in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert ceiling / 2 <= delay <= ceiling
    backoff.reset()
    assert backoff.delay() <= 1.0
