from urllib.parse import quote

from kernia_desktop_server.auth.tokens import random_token, sign, token_hash, unsign

SECRET = b"s" * 48


def test_signed_token_round_trips() -> None:
    token = random_token()
    assert unsign(sign(token, SECRET), SECRET) == token


def test_url_encoded_credential_is_accepted() -> None:
    token = random_token()
    assert unsign(quote(sign(token, SECRET), safe=""), SECRET) == token


def test_unsigned_tampered_and_foreign_credentials_are_refused() -> None:
    token = random_token()
    signed = sign(token, SECRET)
    assert unsign(token, SECRET) is None
    replacement = "A" if signed[-2] != "A" else "B"
    assert unsign(signed[:-2] + replacement + "=", SECRET) is None
    assert unsign(("X" if signed[0] != "X" else "Y") + signed[1:], SECRET) is None
    assert unsign(sign(token, b"t" * 48), SECRET) is None
    assert unsign("", SECRET) is None
    assert unsign(".", SECRET) is None
    assert unsign("%zz.%%", SECRET) is None


def test_tokens_are_random_and_hashes_are_not_the_token() -> None:
    tokens = {random_token() for _ in range(100)}
    assert len(tokens) == 100
    token = tokens.pop()
    assert len(token) == 32 and token.isalnum()
    assert token not in token_hash(token) and len(token_hash(token)) == 64
