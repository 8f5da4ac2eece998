// Better Auth's own Node server, the peer that `make bench` measures the Kernia Desktop backend against:
// email and password, the bearer plugin, rate limiting off, on better-sqlite3.
// Usage: node server.mjs <port> <database file>; BETTER_AUTH_SECRET must be set. It listens on 127.0.0.1 only.
import { createServer } from "node:http";

import Database from "better-sqlite3";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { bearer } from "better-auth/plugins";

const [port, file] = process.argv.slice(2);
const database = new Database(file);
// The same journal as the Kernia backend's SQLite, so that neither side is measured on a slower setup.
database.pragma("journal_mode = WAL");
database.pragma("synchronous = NORMAL");

const baseURL = `http://127.0.0.1:${port}`;
const options = {
  baseURL,
  secret: process.env.BETTER_AUTH_SECRET,
  database,
  emailAndPassword: { enabled: true },
  plugins: [bearer()],
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
};

// The tables Better Auth expects, created by its own migration planner: no CLI, nothing fetched.
const { runMigrations } = await getMigrations(options);
await runMigrations();

const auth = betterAuth(options);
createServer(toNodeHandler(auth)).listen(Number(port), "127.0.0.1", () => {
  console.log(`better-auth listening on ${baseURL}`);
});
