"""The vault against a real Secret Service (gnome-keyring-daemon on a private D-Bus session bus)."""

from pathlib import Path

import pytest
import secretstorage

from kernia_desktop.vault import Vault
from tests.support.keyring import SecretService


def test_round_trip_in_the_real_keyring(session_bus: SecretService) -> None:
    vault = Vault.open("kernia-desktop:test-round-trip")
    assert vault.health.usable, vault.health
    assert vault.health.backend == "SecretService keyring"
    assert vault.save("persist:kernia", "credential-value")
    assert Vault.open("kernia-desktop:test-round-trip").load("persist:kernia") == "credential-value"
    connection = secretstorage.dbus_init()
    try:
        items = list(
            secretstorage.search_items(
                connection, {"service": "kernia-desktop:test-round-trip", "username": "persist:kernia"}
            )
        )
        assert [item.get_secret() for item in items] == [b"credential-value"]
    finally:
        connection.close()
    vault.delete("persist:kernia")
    assert vault.load("persist:kernia") is None


def test_locked_keyring_is_reported_without_a_prompt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A keyring of its own: unlocking it again would need a prompt, which this machine cannot show.
    service = SecretService(tmp_path / "locked-home")
    try:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", service.address)
        connection = secretstorage.dbus_init()
        try:
            assert Vault.open("kernia-desktop:test-locked").health.usable
            secretstorage.Collection(connection).lock()
        finally:
            connection.close()
        vault = Vault.open("kernia-desktop:test-locked")
        assert not vault.health.usable
        assert "locked" in (vault.health.problem or "")
        assert vault.save("persist:kernia", "credential-value") is False
        assert vault.load("persist:kernia") is None
    finally:
        service.stop()


def test_no_keyring_service_means_memory_only(no_session_bus: None) -> None:
    vault = Vault.open("kernia-desktop:test-none")
    assert not vault.health.usable and vault.health.problem
    assert vault.save("persist:kernia", "credential-value") is False
