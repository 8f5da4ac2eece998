"""Sign-in through OAuth 2.0 and OpenID Connect providers (GitHub, Google, any OIDC issuer)."""
