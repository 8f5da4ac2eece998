// Drives the official Better Auth JS client against a live backend: node client_check.mjs <base URL>.
// Exits non-zero at the first check that fails; prints one line per check that passed.
import assert from "node:assert/strict";
import { apiKeyClient } from "@better-auth/api-key/client";
import { createAuthClient } from "better-auth/client";

const baseURL = process.argv[2];
assert.ok(baseURL, "usage: node client_check.mjs <base URL of the backend>");
const client = createAuthClient({ baseURL, plugins: [apiKeyClient()] });

const email = `js-client-${Date.now()}@example.com`;
const password = "correct horse battery";
let passed = 0;
const check = async (name, run) => {
  await run();
  passed += 1;
  console.log(`ok - ${name}`);
};

let token;
const captureToken = {
  onSuccess: (context) => {
    token = context.response.headers.get("set-auth-token") ?? token;
  },
};
const asBearer = (credential) => ({ headers: { Authorization: `Bearer ${credential}` } });

await check("signUp.email creates the user and hands out a bearer token", async () => {
  const { data, error } = await client.signUp.email({ name: "JS Client", email, password }, captureToken);
  assert.equal(error, null);
  assert.equal(data.user.email, email);
  assert.ok(token, "set-auth-token is readable");
});
const signUpToken = token;

await check("signIn.email with a wrong password fails with INVALID_EMAIL_OR_PASSWORD", async () => {
  const { data, error } = await client.signIn.email({ email, password: "wrong password" });
  assert.equal(data, null);
  assert.equal(error.status, 401);
  assert.equal(error.code, "INVALID_EMAIL_OR_PASSWORD");
});

await check("signIn.email opens a second session", async () => {
  const { data, error } = await client.signIn.email({ email, password }, captureToken);
  assert.equal(error, null);
  assert.equal(data.user.email, email);
  assert.notEqual(token, signUpToken);
});

await check("getSession by bearer returns the user, with dates parsed", async () => {
  const { data, error } = await client.getSession({ fetchOptions: asBearer(token) });
  assert.equal(error, null);
  assert.equal(data.user.email, email);
  assert.ok(data.session.expiresAt instanceof Date);
});

await check("getSession without credentials is null", async () => {
  const { data, error } = await client.getSession();
  assert.equal(error, null);
  assert.equal(data, null);
});

await check("listSessions shows both sessions; revokeSession ends the other one", async () => {
  const { data: sessions } = await client.listSessions({ fetchOptions: asBearer(token) });
  assert.equal(sessions.length, 2);
  const { data: current } = await client.getSession({ fetchOptions: asBearer(token) });
  const other = sessions.find((session) => session.id !== current.session.id);
  const { data, error } = await client.revokeSession({ token: other.token }, asBearer(token));
  assert.equal(error, null);
  assert.equal(data.status, true);
  const { data: gone } = await client.getSession({ fetchOptions: asBearer(signUpToken) });
  assert.equal(gone, null);
  const { data: remaining } = await client.listSessions({ fetchOptions: asBearer(token) });
  assert.equal(remaining.length, 1);
});

await check("apiKey create, list, update and delete; the key works until deleted", async () => {
  const created = await client.apiKey.create({ name: "js key" }, asBearer(token));
  assert.equal(created.error, null);
  const key = created.data.key;
  assert.ok(key.startsWith(created.data.start));
  const notes = () => fetch(`${baseURL}/api/notes`, { headers: { "x-api-key": key } });
  assert.equal((await notes()).status, 200);
  const listed = await client.apiKey.list({ fetchOptions: asBearer(token) });
  assert.equal(listed.error, null);
  assert.deepEqual(listed.data.apiKeys.map((item) => item.id), [created.data.id]);
  assert.equal(listed.data.apiKeys[0].key, undefined);
  const updated = await client.apiKey.update({ keyId: created.data.id, name: "renamed" }, asBearer(token));
  assert.equal(updated.data.name, "renamed");
  const deleted = await client.apiKey.delete({ keyId: created.data.id }, asBearer(token));
  assert.equal(deleted.data.success, true);
  assert.equal((await notes()).status, 401);
});

await check("signOut revokes the session", async () => {
  const { data, error } = await client.signOut({ fetchOptions: asBearer(token) });
  assert.equal(error, null);
  assert.equal(data.success, true);
  const { data: after } = await client.getSession({ fetchOptions: asBearer(token) });
  assert.equal(after, null);
});

console.log(`${passed} passed, 0 failed`);
