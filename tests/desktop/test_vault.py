import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError

from kernia_desktop.vault import SYSTEM_BACKENDS, Vault, VaultHealth, check_health, system_backend
from tests.support.fakes import MemoryStore


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


class FileBackend(KeyringBackend):
    """A file backend as keyrings.alt installs one: known to keyring, with the highest priority."""

    priority = 10

    def get_password(self, service: str, username: str) -> str | None:
        raise AssertionError("a file backend was used")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("a file backend was used")

    def delete_password(self, service: str, username: str) -> None:
        raise AssertionError("a file backend was used")


FileBackend.__module__ = "keyrings.alt.file"


def test_the_secret_service_is_chosen_over_a_file_backend(session_bus: object) -> None:
    assert FileBackend in set(KeyringBackend.get_viable_backends())
    chosen = system_backend("linux")
    assert type(chosen).__module__ == "keyring.backends.SecretService"
    assert type(chosen).__module__ in SYSTEM_BACKENDS["linux"]


@pytest.mark.usefixtures("no_session_bus")
def test_without_a_system_keyring_no_backend_is_chosen_not_even_a_file_one() -> None:
    assert system_backend("linux") is None
    # A platform with no store of its own known here gets none either.
    assert system_backend("plan9") is None
