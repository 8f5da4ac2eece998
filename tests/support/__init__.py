"""What the tests share: harness classes for real services, and helpers; fixtures are in fixtures.py."""
