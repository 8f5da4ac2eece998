from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import SecretService


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretService]:
    service = SecretService(tmp_path_factory.mktemp("keyring-home"))
    yield service
    service.stop()


@pytest.fixture
def session_bus(secret_service: SecretService, monkeypatch: pytest.MonkeyPatch) -> SecretService:
    """Points this process at the test Secret Service."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.address)
    monkeypatch.delenv("DISPLAY", raising=False)
    return secret_service


@pytest.fixture
def no_session_bus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
