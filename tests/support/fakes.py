"""Stand-ins for unit tests, where the real part is not what a test is about."""

from __future__ import annotations

from keyring.errors import PasswordDeleteError


class MemoryStore:
    """A keyring in a dict, with keyring's error for deleting a missing entry."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise PasswordDeleteError("no such entry")
        del self.entries[(service, username)]
