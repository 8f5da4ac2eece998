"""ID token checks (OpenID Connect Core 3.1.3.7): the signature against the provider's JWK set, then iss, aud,
exp, iat, nonce, azp and at_hash through authlib's OIDC claim rules.

A module of its own so that authlib.jose, and the parts of cryptography it brings, load with the first OpenID
sign-in instead of at every start of the backend (README, Memory).
"""

from __future__ import annotations

import warnings
from typing import Any

with warnings.catch_warnings():
    # authlib.jose still does the job and is what authlib's own OIDC clients use; it only announces a successor.
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.jose.errors import JoseError
    from authlib.oidc.core import CodeIDToken
from joserfc.errors import JoseError as ClaimsError  # what authlib's OIDC claim checks raise since 1.7

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
CLOCK_LEEWAY = 60


class InvalidIdToken(Exception):
    """The token fails a check; the message says which."""


class UnknownSigningKey(InvalidIdToken):
    """No key of the set has the token's key id: the provider may have rotated its keys."""


def verified_claims(
    id_token: str, jwks: dict[str, Any], options: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """The token's claims, once its signature and its claims (`options` and `params` as authlib's CodeIDToken
    takes them) check out."""
    try:
        claims = JsonWebToken(ALGORITHMS).decode(
            id_token,
            JsonWebKey.import_key_set(jwks),
            claims_cls=CodeIDToken,
            claims_options=options,
            claims_params=params,
        )
        claims.validate(leeway=CLOCK_LEEWAY)
    except ValueError as error:  # how authlib says that no key of the set has the token's key id
        raise UnknownSigningKey(str(error)) from error
    except (JoseError, ClaimsError) as error:
        raise InvalidIdToken(str(error)) from error
    return dict(claims)
