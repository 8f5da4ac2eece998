// The renderer: untrusted UI. Every action goes through the shell's bridge (window.pywebview.api);
// the page never sees a session token, a bearer token or a provider secret.
"use strict";

// The server's codes in this app's words; the shell's own answers (sign-in outcomes, offline, time-outs) come in
// words already and show as they are.
const MESSAGES = {
  INVALID_EMAIL_OR_PASSWORD: "That email and password do not match an account.",
  USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: "An account with this email already exists. Sign in instead.",
  PASSWORD_TOO_SHORT: "That password is too short: use at least 8 characters.",
  PASSWORD_TOO_LONG: "That password is too long.",
  INVALID_EMAIL: "That email address is not valid.",
  TOO_MANY_REQUESTS: "Too many attempts. Wait a moment and try again.",
  OFFLINE: "The server cannot be reached. Check your connection and try again.",
  UNAUTHORIZED: "Your session has ended. Sign in again.",
  SIGNED_OUT: "Your session has ended. Sign in again.",
  FLOW_IN_PROGRESS: "A sign-in is already in progress.",
  PROVIDER_NOT_CONFIGURED: "That sign-in option is not available right now.",
};
// How long a destructive button waits for its second click.
const CONFIRM_FOR_MS = 5000;

const $ = (id) => document.getElementById(id);
const api = () => window.pywebview.api;

function describe(error) {
  return MESSAGES[error.code] || error.message || `Something went wrong (${error.code}).`;
}

function isError(result) {
  return result !== null && typeof result === "object" && typeof result.code === "string" && "message" in result;
}

function showError(error) {
  const box = $("error");
  if (!error) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  box.textContent = describe(error);
  box.dataset.code = error.code;
  box.hidden = false;
}

function showBanner(text, offline) {
  $("banner-text").textContent = text || "";
  $("retry").hidden = !offline;
  $("banner").hidden = !text;
}

function showView(name) {
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${name}`;
  document.body.dataset.view = name;
}

// Calls the bridge; shows its error in words and returns null when it failed. A failed call's message stays
// up until the user's next action (see act), so a background refresh never hides it.
async function call(method, ...args) {
  let result;
  try {
    result = await api()[method](...args);
  } catch (failure) {
    result = { code: "BRIDGE_ERROR", message: String(failure) };
  }
  if (isError(result)) {
    showError(result);
    return null;
  }
  return result;
}

// A call the user asked for with `control`: the previous error goes away first, and the control shows that it
// is busy (and takes no second click) until the answer comes.
async function act(control, method, ...args) {
  showError(null);
  control.disabled = true;
  control.setAttribute("aria-busy", "true");
  try {
    return await call(method, ...args);
  } finally {
    control.removeAttribute("aria-busy");
    control.disabled = needsServer(control) && Boolean(shown && shown.offline);
  }
}

// The controls that act on the server: disabled while offline.
function needsServer(control) {
  return control.closest(".online-only") !== null;
}

function item(text, detail, button) {
  const li = document.createElement("li");
  const label = document.createElement("div");
  label.textContent = text;
  if (detail) {
    const small = document.createElement("div");
    small.className = "detail";
    small.textContent = detail;
    label.append(small);
  }
  li.append(label);
  if (button) li.append(button);
  return li;
}

function actionButton(text, onClick, className = "link") {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.textContent = text;
  button.addEventListener("click", () => onClick(button));
  return button;
}

// Makes `button` ask once more before it acts: its first click turns it into `question`, a second one within a
// few seconds runs `onConfirmed`.
function confirming(button, question, onConfirmed) {
  const text = button.textContent;
  let timer = null;
  button.addEventListener("click", () => {
    if (timer === null) {
      button.textContent = question;
      button.dataset.confirming = "true";
      timer = setTimeout(() => {
        button.textContent = text;
        delete button.dataset.confirming;
        timer = null;
      }, CONFIRM_FOR_MS);
      return;
    }
    clearTimeout(timer);
    timer = null;
    button.textContent = text;
    delete button.dataset.confirming;
    onConfirmed(button);
  });
  return button;
}

function destructiveButton(text, question, onConfirmed) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link";
  button.textContent = text;
  return confirming(button, question, onConfirmed);
}

const when = (iso) => new Date(iso).toLocaleString();

// The state the window shows: the shell sends each change of it to every window of the partition.
let shown = null;

// Offline, the signed-in view shows the last known user; what needs the server waits for it.
function offlineList(list) {
  list.replaceChildren(item("Not available offline. The app reconnects by itself.", null, null));
}

async function renderNotes() {
  if (shown.offline) return offlineList($("notes"));
  const result = await call("list_notes");
  if (!result) return;
  $("notes").replaceChildren(
    ...result.notes.map((note) =>
      item(note.title, note.body, destructiveButton("Delete", "Delete this note?", async (button) => {
        if (await act(button, "delete_note", note.id)) renderNotes();
      })),
    ),
  );
}

async function renderSessions() {
  if (shown.offline) return offlineList($("sessions"));
  const result = await call("list_sessions");
  if (!result) return;
  $("sessions").replaceChildren(
    ...result.sessions.map((session) =>
      item(
        session.current ? "This app (current session)" : session.userAgent || "Another device",
        `Signed in ${when(session.createdAt)} · expires ${when(session.expiresAt)}`,
        session.current ? null : destructiveButton("Revoke", "Revoke this session?", async (button) => {
          if (await act(button, "revoke_session", session.id)) renderSessions();
        }),
      ),
    ),
  );
}

async function renderKeys() {
  if (shown.offline) return offlineList($("keys"));
  const result = await call("list_api_keys");
  if (!result) return;
  $("keys").replaceChildren(
    ...result.keys.map((key) =>
      item(
        key.name || "Unnamed key",
        `${key.start}… · created ${when(key.createdAt)}`,
        destructiveButton("Revoke", "Revoke this key?", async (button) => {
          if (await act(button, "delete_api_key", key.id)) {
            $("new-key").hidden = true;
            renderKeys();
          }
        }),
      ),
    ),
  );
}

// The app's accounts, one per partition: the last known user of each, so the list is the same offline.
async function renderAccounts() {
  const result = await call("list_accounts");
  if (!result) return;
  $("accounts").replaceChildren(
    ...result.accounts.map((account) => {
      const who = account.user.name ? `${account.user.name} · ${account.user.email}` : account.partition;
      if (account.current) return item(who, "This window", null);
      const li = item(who, account.offline ? "Offline" : null, null);
      li.dataset.partition = account.partition;
      li.append(
        actionButton("Open", (button) => act(button, "open_window", "/", account.partition)),
        destructiveButton("Remove", "Sign out and remove?", async (button) => {
          const removed = await act(button, "remove_account", account.partition);
          if (removed) showBanner(removed.notice, false);
        }),
      );
      return li;
    }),
  );
}

// Runs `work` once the frame that is being built has been painted: a view shows first, then its lists load.
function afterPaint(work) {
  requestAnimationFrame(() => setTimeout(work, 0));
}

function renderState(state) {
  const before = shown;
  shown = state;
  showBanner(state.notice, state.offline);
  for (const control of document.querySelectorAll(".online-only button")) control.disabled = state.offline;
  document.body.dataset.offline = String(Boolean(state.offline));
  const userId = (of) => (of && of.user ? of.user.id : null);
  const sameView = before !== null && state.offline === before.offline && userId(before) === userId(state);
  if (sameView && document.body.dataset.view !== "waiting") return;
  if (state.user) {
    $("whoami-name").textContent = `${state.user.name} · ${state.user.email}`;
    $("whoami").hidden = false;
    showView("signed-in");
    afterPaint(() => {
      renderNotes();
      renderSessions();
      renderKeys();
      renderAccounts();
    });
  } else {
    $("whoami").hidden = true;
    $("new-key").hidden = true;
    for (const list of ["notes", "sessions", "keys"]) $(list).replaceChildren();
    showView("signed-out");
    afterPaint(renderProviders);
  }
}

async function renderProviders() {
  const result = await call("list_providers");
  if (!result) return;
  // Only the ones that work: the shell logs why the others are not set up, for the developer.
  const offered = result.providers.filter((provider) => provider.available);
  $("providers-area").hidden = offered.length === 0;
  $("providers").replaceChildren(
    ...offered.map((provider) => {
      const button = actionButton(`Continue with ${provider.name}`, () => signInSocial(provider, button), "");
      button.dataset.provider = provider.id;
      return button;
    }),
  );
}

async function signInSocial(provider, button) {
  $("waiting-title").textContent = `Signing in with ${provider.name}`;
  $("waiting-text").textContent = provider.flow === "system"
    ? "Continue in your browser. This window will update when you are done."
    : "Complete the sign-in in the window that opened.";
  showView("waiting");
  const state = await act(button, "sign_in_social", provider.id);
  renderState(state || (await api().get_session()));
}

async function refresh() {
  const state = await api().get_session();
  if (isError(state)) {
    showError(state);
    showView("signed-out");
    return;
  }
  renderState(state);
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function selectTab(signUp) {
  for (const [tab, selected] of [[$("tab-sign-in"), !signUp], [$("tab-sign-up"), signUp]]) {
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  $("sign-in-form").hidden = signUp;
  $("sign-up-form").hidden = !signUp;
  showError(null);
}

// A form whose submit button shows the call as busy; `done` gets the answer when there is one.
function onSubmit(form, send, done) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await send(form.querySelector("button[type=submit]"), formValues(form));
    if (result) {
      form.reset();
      done(result);
    }
  });
}

async function copyKey() {
  const range = document.createRange();
  range.selectNodeContents($("new-key-value"));
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  const copied = document.execCommand("copy");
  selection.removeAllRanges();
  $("copy-status").textContent = copied ? "Copied." : "Select the key and copy it by hand.";
}

function wire() {
  $("tab-sign-in").addEventListener("click", () => selectTab(false));
  $("tab-sign-up").addEventListener("click", () => selectTab(true));
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      const signUp = tab.id === "tab-sign-in";
      selectTab(signUp);
      $(signUp ? "tab-sign-up" : "tab-sign-in").focus();
    });
  }
  onSubmit($("sign-in-form"), (button, { email, password }) => act(button, "sign_in_email", email, password), renderState);
  onSubmit(
    $("sign-up-form"),
    (button, { name, email, password }) => act(button, "sign_up_email", name, email, password),
    renderState,
  );
  onSubmit($("note-form"), (button, { title, body }) => act(button, "create_note", title, body), renderNotes);
  onSubmit($("key-form"), (button, { name }) => act(button, "create_api_key", name), (created) => {
    $("new-key-value").textContent = created.key;
    $("copy-status").textContent = "";
    $("new-key").hidden = false;
    renderKeys();
  });
  $("sign-out").addEventListener("click", async () => {
    const state = await act($("sign-out"), "sign_out");
    if (state) renderState(state);
  });
  confirming($("sign-out-everywhere"), "Sign out on every device?", async (button) => {
    const state = await act(button, "sign_out_everywhere");
    if (state) renderState(state);
  });
  $("cancel-sign-in").addEventListener("click", () => call("cancel_sign_in"));
  $("copy-key").addEventListener("click", copyKey);
  $("retry").addEventListener("click", () => act($("retry"), "reconnect"));
  window.addEventListener("focus", () => {
    if (shown && shown.offline) call("reconnect");
  });
  window.addEventListener("kernia:state", (event) => renderState(event.detail));
  window.addEventListener("kernia:accounts", () => {
    if (shown && shown.user) renderAccounts();
  });
  $("add-account").addEventListener("click", () => act($("add-account"), "add_account"));
}

wire();
if (window.pywebview && window.pywebview.api) refresh();
else window.addEventListener("pywebviewready", refresh, { once: true });
