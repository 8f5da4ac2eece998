"use strict";
// Every call goes through the shell's bridge: a promise of the answer, or of {code, message}.
const $ = (id) => document.getElementById(id);
const api = () => window.pywebview.api;
const failed = (answer) => answer !== null && typeof answer === "object" && "code" in answer && "message" in answer;

async function call(method, ...args) {
  const answer = await api()[method](...args);
  $("error").hidden = !failed(answer);
  $("error").textContent = failed(answer) ? answer.message : "";
  return failed(answer) ? null : answer;
}

// A call a button asked for: the button shows that it waits, and takes no second click meanwhile.
async function act(button, method, ...args) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await call(method, ...args);
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

function show(state) {
  if (!state) return;
  $("notice").textContent = state.notice || "";
  $("notice").hidden = !state.notice;
  const signedIn = Boolean(state.user);
  $("signed-in").hidden = !signedIn;
  $("signed-out").hidden = signedIn;
  $("who").textContent = signedIn ? state.user.name : "";
  $("greeting").textContent = "";
  document.body.dataset.view = signedIn ? "signed-in" : "signed-out";
}

function form() {
  return Object.fromEntries(new FormData($("signed-out")));
}

$("signed-out").addEventListener("submit", async (event) => {
  event.preventDefault();
  show(await act($("sign-in"), "sign_in_email", form().email, form().password));
});
$("sign-up").addEventListener("click", async () => {
  const { name, email, password } = form();
  show(await act($("sign-up"), "sign_up_email", name || email, email, password));
});
$("sign-out").addEventListener("click", async () => show(await act($("sign-out"), "sign_out")));
$("greet").addEventListener("click", async () => {
  $("greeting").textContent = (await act($("greet"), "greeting")) || "";
});
// Every window of the partition hears of a sign-in or sign-out made in another, and of going offline.
window.addEventListener("kernia:state", (event) => show(event.detail));

const start = async () => show(await call("get_session"));
if (window.pywebview && window.pywebview.api) start();
else window.addEventListener("pywebviewready", start, { once: true });
