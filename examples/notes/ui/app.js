// The renderer: untrusted UI. Every action goes through the shell's bridge (window.pywebview.api);
// the page never sees a session token, a bearer token or a provider secret.
"use strict";

const MESSAGES = {
  INVALID_EMAIL_OR_PASSWORD: "That email and password do not match an account.",
  USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: "An account with this email already exists. Sign in instead.",
  PASSWORD_TOO_SHORT: "That password is too short: use at least 8 characters.",
  PASSWORD_TOO_LONG: "That password is too long.",
  INVALID_EMAIL: "That email address is not valid.",
  TOO_MANY_REQUESTS: "Too many attempts. Wait a moment and try again.",
  OFFLINE: "The server cannot be reached. Check your connection and try again.",
  UNAUTHORIZED: "Your session has ended. Sign in again.",
  cancelled: "Sign-in was cancelled.",
  timeout: "Sign-in took too long and was stopped. Try again.",
  access_denied: "Access was denied at the provider (access_denied).",
  state_mismatch: "The sign-in could not be verified. Try again.",
  FLOW_IN_PROGRESS: "A sign-in is already in progress.",
  PROVIDER_NOT_CONFIGURED: "That provider is not set up on this server.",
};

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

function showBanner(text) {
  $("banner").textContent = text || "";
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

// A call the user asked for: the previous error goes away first.
function act(method, ...args) {
  showError(null);
  return call(method, ...args);
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
  button.addEventListener("click", onClick);
  return button;
}

const when = (iso) => new Date(iso).toLocaleString();

async function renderNotes() {
  const result = await call("list_notes");
  if (!result) return;
  $("notes").replaceChildren(
    ...result.notes.map((note) =>
      item(note.title, note.body, actionButton("Delete", async () => {
        if (await act("delete_note", note.id)) renderNotes();
      })),
    ),
  );
}

async function renderSessions() {
  const result = await call("list_sessions");
  if (!result) return;
  $("sessions").replaceChildren(
    ...result.sessions.map((session) =>
      item(
        session.current ? "This app (current session)" : session.userAgent || "Another device",
        `Signed in ${when(session.createdAt)} · expires ${when(session.expiresAt)}`,
        session.current ? null : actionButton("Revoke", async () => {
          if (await act("revoke_session", session.id)) renderSessions();
        }),
      ),
    ),
  );
}

async function renderKeys() {
  const result = await call("list_api_keys");
  if (!result) return;
  $("keys").replaceChildren(
    ...result.keys.map((key) =>
      item(key.name || "Unnamed key", `${key.start}… · created ${when(key.createdAt)}`, actionButton("Revoke", async () => {
        if (await act("delete_api_key", key.id)) {
          $("new-key").hidden = true;
          renderKeys();
        }
      })),
    ),
  );
}

// Runs `work` once the frame that is being built has been painted: a view shows first, then its lists load.
function afterPaint(work) {
  requestAnimationFrame(() => setTimeout(work, 0));
}

function renderState(state) {
  showBanner(state.notice);
  if (state.user) {
    $("whoami-name").textContent = `${state.user.name} · ${state.user.email}`;
    $("whoami").hidden = false;
    showView("signed-in");
    afterPaint(() => {
      renderNotes();
      renderSessions();
      renderKeys();
    });
  } else {
    $("whoami").hidden = true;
    $("new-key").hidden = true;
    showView("signed-out");
    afterPaint(renderProviders);
  }
}

async function renderProviders() {
  const result = await call("list_providers");
  if (!result) return;
  $("providers").replaceChildren(
    ...result.providers.map((provider) => {
      const button = actionButton(`Continue with ${provider.name}`, () => signInSocial(provider), "");
      button.dataset.provider = provider.id;
      button.disabled = !provider.available;
      if (!provider.available) {
        const reason = document.createElement("span");
        reason.className = "reason";
        reason.textContent = `Unavailable: ${provider.reason}`;
        button.append(reason);
      }
      return button;
    }),
  );
}

async function signInSocial(provider) {
  $("waiting-title").textContent = `Signing in with ${provider.name}`;
  $("waiting-text").textContent = provider.flow === "system"
    ? "Continue in your browser. This window will update when you are done."
    : "Complete the sign-in in the window that opened.";
  $("cancel-sign-in").hidden = provider.flow !== "system";
  showView("waiting");
  const state = await act("sign_in_social", provider.id);
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
  $("tab-sign-in").setAttribute("aria-selected", String(!signUp));
  $("tab-sign-up").setAttribute("aria-selected", String(signUp));
  $("sign-in-form").hidden = signUp;
  $("sign-up-form").hidden = !signUp;
  showError(null);
}

function wire() {
  $("tab-sign-in").addEventListener("click", () => selectTab(false));
  $("tab-sign-up").addEventListener("click", () => selectTab(true));
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const { email, password } = formValues(event.target);
    const state = await act("sign_in_email", email, password);
    if (state) {
      event.target.reset();
      renderState(state);
    }
  });
  $("sign-up-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const { name, email, password } = formValues(event.target);
    const state = await act("sign_up_email", name, email, password);
    if (state) {
      event.target.reset();
      renderState(state);
    }
  });
  $("sign-out").addEventListener("click", async () => {
    const state = await act("sign_out");
    if (state) renderState(state);
  });
  $("sign-out-everywhere").addEventListener("click", async () => {
    const state = await act("sign_out_everywhere");
    if (state) renderState(state);
  });
  $("cancel-sign-in").addEventListener("click", () => act("cancel_sign_in"));
  $("note-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const { title, body } = formValues(event.target);
    if (await act("create_note", title, body)) {
      event.target.reset();
      renderNotes();
    }
  });
  $("key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const created = await act("create_api_key", formValues(event.target).name);
    if (created) {
      event.target.reset();
      $("new-key-value").textContent = created.key;
      $("new-key").hidden = false;
      renderKeys();
    }
  });
}

wire();
if (window.pywebview && window.pywebview.api) refresh();
else window.addEventListener("pywebviewready", refresh, { once: true });
