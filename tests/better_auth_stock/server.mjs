// A stock Better Auth server for the shell's tests, configured only through Better Auth's own options: email and
// password, the bearer plugin, and the generic OAuth plugin with the test OpenID provider (by discovery), on
// Better Auth's memory adapter. It listens on 127.0.0.1 and is configured by the environment:
//   BA_PORT, BETTER_AUTH_SECRET, OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET.
import { createServer } from "node:http";

import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { toNodeHandler } from "better-auth/node";
import { bearer, genericOAuth } from "better-auth/plugins";

const port = Number(process.env.BA_PORT);
const baseURL = `http://127.0.0.1:${port}`;
const tables = { user: [], session: [], account: [], verification: [] };

const auth = betterAuth({
  baseURL,
  secret: process.env.BETTER_AUTH_SECRET,
  database: memoryAdapter(tables),
  emailAndPassword: { enabled: true },
  plugins: [
    bearer(),
    genericOAuth({
      config: [
        {
          providerId: "testidp",
          discoveryUrl: `${process.env.OIDC_ISSUER}/.well-known/openid-configuration`,
          clientId: process.env.OIDC_CLIENT_ID,
          clientSecret: process.env.OIDC_CLIENT_SECRET,
          tokenEndpointAuth: { method: "client_secret_basic" },
          scopes: ["openid", "email", "profile"],
          pkce: true,
        },
      ],
    }),
  ],
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
});

const server = createServer(toNodeHandler(auth)).listen(port, "127.0.0.1", () => {
  console.log(`better-auth listening on ${baseURL}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
