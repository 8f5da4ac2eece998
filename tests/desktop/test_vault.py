import pytest
from keyring.errors import KeyringError

from desktop import vault as vault_module
from desktop.vault import SYSTEM_BACKENDS, Vault, VaultHealth, check_health, system_backend
from tests.fakes import MemoryStore


class BrokenStore(MemoryStore):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("locked")


HEALTHY = VaultHealth(True, "test")


def test_entries_are_per_service_and_partition() -> None:
    store = MemoryStore()
    local, remote = (
        Vault("kernia-desktop:local", store, HEALTHY),
        Vault("kernia-desktop:https://a.example", store, HEALTHY),
    )
    assert local.save("persist:kernia", "token-1")
    remote.save("persist:kernia", "token-2")
    local.save("persist:work", "token-3")
    assert local.load("persist:kernia") == "token-1"
    assert remote.load("persist:kernia") == "token-2"
    local.delete("persist:kernia")
    local.delete("persist:kernia")
    assert local.load("persist:kernia") is None and local.load("persist:work") == "token-3"


def test_unusable_vault_keeps_nothing_and_says_why() -> None:
    store = MemoryStore()
    vault = Vault("s", store, VaultHealth(False, "none", "No system keyring is available"))
    assert vault.save("p", "token") is False
    assert store.entries == {} and vault.load("p") is None
    assert vault.health.problem


def test_keyring_errors_do_not_escape() -> None:
    vault = Vault("s", BrokenStore(), HEALTHY)
    assert vault.save("p", "token") is False
    assert vault.load("p") is None
    vault.delete("p")


def test_no_system_backend_is_reported_plainly() -> None:
    health = check_health(None)
    assert not health.usable and "No system keyring" in (health.problem or "")


class FileBackend:
    __module__ = "keyrings.alt.file"
    priority = 10


class SystemBackend:
    __module__ = "keyring.backends.SecretService"
    priority = 5


def test_file_backends_are_never_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    assert SystemBackend.__module__ in SYSTEM_BACKENDS
    monkeypatch.setattr(vault_module, "get_all_keyring", lambda: [FileBackend(), SystemBackend()])
    assert isinstance(system_backend(), SystemBackend)
    monkeypatch.setattr(vault_module, "get_all_keyring", lambda: [FileBackend()])
    assert system_backend() is None
