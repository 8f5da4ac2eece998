// A real OpenID provider for the tests: npm oidc-provider on 127.0.0.1 with its development login and
// consent pages. Any login name signs in; "<name>" gets the address <name>@example.com, verified unless the
// name starts with "unverified". Configured by the environment:
//   OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS (comma-separated), and OIDC_ROUTES:
//   "gitlab" serves its endpoints at GitLab's paths (/oauth/authorize, /oauth/token, /oauth/userinfo), for clients
//   that build them from an issuer rather than read discovery.
// The client authenticates with HTTP Basic; the same client id with "-post" sends its secret in the form.
// GET /profile is a plain OAuth 2.0 API, for clients that sign in without the openid scope.
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const gitlabRoutes = { authorization: "/oauth/authorize", token: "/oauth/token", userinfo: "/oauth/userinfo" };
const client = {
  client_id: process.env.OIDC_CLIENT_ID,
  client_secret: process.env.OIDC_CLIENT_SECRET,
  // Native clients get RFC 8252 loopback matching: http://127.0.0.1/... accepts any port.
  application_type: "native",
  redirect_uris: process.env.OIDC_REDIRECT_URIS.split(","),
  response_types: ["code"],
  grant_types: ["authorization_code"],
  token_endpoint_auth_method: "client_secret_basic",
};

async function findAccount(_context, accountId) {
  return {
    accountId,
    async claims() {
      return {
        sub: accountId,
        email: `${accountId}@example.com`,
        email_verified: !accountId.startsWith("unverified"),
        name: `Provider User ${accountId}`,
      };
    },
  };
}

const provider = new Provider(issuer, {
  clients: [
    client,
    { ...client, client_id: `${client.client_id}-post`, token_endpoint_auth_method: "client_secret_post" },
  ],
  ...(process.env.OIDC_ROUTES === "gitlab" ? { routes: gitlabRoutes } : {}),
  pkce: { required: () => true },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name"],
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["kernia-desktop-test-provider"] },
  findAccount,
});

// The userinfo endpoint insists on the openid scope; this answers the same profile for any access token.
provider.use(async (ctx, next) => {
  if (ctx.path !== "/profile") return next();
  const token = await provider.AccessToken.find(ctx.get("authorization").replace(/^Bearer /i, ""));
  if (!token) {
    ctx.status = 401;
    ctx.body = { error: "invalid_token" };
    return;
  }
  ctx.body = await (await findAccount(ctx, token.accountId)).claims();
});

const server = provider.listen(port, "127.0.0.1", () => {
  console.log(`openid provider listening on ${issuer}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
