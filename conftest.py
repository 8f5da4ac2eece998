"""The fixtures tests/ and e2e/ share live in tests/support/fixtures.py."""

pytest_plugins = ["tests.support.fixtures"]
