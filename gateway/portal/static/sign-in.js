// Sign-in: a department's own sign-in (chosen by name, or found from a work email) or a passkey.
import { el, say } from "./lib.js";
import { call, explain, get, localhostInstead, next, supported } from "./passkey.js";

const form = document.getElementById("department-form");
const input = document.getElementById("department-name");
const list = document.getElementById("department-options");
const chosen = document.getElementById("department-id");
const status = document.getElementById("department-status");
const passkeyButton = document.getElementById("passkey-button");
const passkeyStatus = document.getElementById("passkey-status");
let departments = [];
let active = -1;
let autofill = null;

async function load() {
  // The departments whose own sign-in is configured (identity's public list, names only);
  // if it cannot be had, the email path alone is shown.
  try {
    const response = await fetch("/auth/departments", { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    departments = (await response.json()).departments;
  } catch {
    return;
  }
  form.hidden = departments.length === 0;
}

function matches(query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return departments.filter((d) => {
    const haystack = d.name.toLowerCase();
    return words.every((w) => haystack.includes(w));
  }).slice(0, 12);
}

function render() {
  const options = input.value.trim() ? matches(input.value) : [];
  list.replaceChildren(...options.map((d, index) => el("li", {
    role: "option", id: `department-option-${index}`, "aria-selected": index === active ? "true" : "false",
    "data-id": d.id, onmousedown: (event) => { event.preventDefault(); choose(d); },
  }, d.name)));
  list.hidden = options.length === 0;
  input.setAttribute("aria-expanded", options.length ? "true" : "false");
  if (active >= 0 && options[active]) input.setAttribute("aria-activedescendant", `department-option-${active}`);
  else input.removeAttribute("aria-activedescendant");
  return options;
}

function choose(department) {
  input.value = department.name;
  chosen.value = department.id;
  active = -1;
  list.hidden = true;
  input.setAttribute("aria-expanded", "false");
  say(status, "");
}

input.addEventListener("input", () => { chosen.value = ""; active = -1; render(); });
input.addEventListener("keydown", (event) => {
  const options = matches(input.value);
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    if (!options.length) return;
    active = (active + (event.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
    render();
  } else if (event.key === "Enter" && active >= 0 && options[active]) {
    event.preventDefault();
    choose(options[active]);
  } else if (event.key === "Escape") {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }
});
input.addEventListener("blur", () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); });
form.addEventListener("submit", (event) => {
  if (!chosen.value) {
    const options = matches(input.value);
    if (options.length === 1) choose(options[0]);
    else {
      event.preventDefault();
      say(status, "Choose your department from the list, or use your work email below.", "error");
      input.focus();
    }
  }
});

// passkeys -----------------------------------------------------------------------------

async function signInWith(mediation, signal) {
  const options = await call("/auth/passkey/options");
  if (!options.ok) throw new Error(options.body.error || "The passkey sign-in could not start.");
  const credential = await get(options.body, { mediation, signal });
  if (!credential) return;
  const answer = await call("/auth/passkey", { credential });
  if (answer.ok) {
    window.location.assign(next());
    return;
  }
  say(passkeyStatus, answer.body.error || "Your passkey could not be checked.", "error");
  if (answer.body.renew) {
    passkeyStatus.append(" ", el("a", { href: answer.body.renew }, "Sign in with your department to renew it"));
  }
}

async function startAutofill() {
  // the browser offers passkeys in the email field's suggestions where it can
  if (!window.PublicKeyCredential || !PublicKeyCredential.isConditionalMediationAvailable) return;
  if (!(await PublicKeyCredential.isConditionalMediationAvailable())) return;
  autofill = new AbortController();
  signInWith("conditional", autofill.signal).catch(() => {});
}

passkeyButton.addEventListener("click", async () => {
  const elsewhere = localhostInstead();
  if (elsewhere) { window.location.assign(elsewhere); return; }
  if (autofill) autofill.abort();
  say(passkeyStatus, "Follow your device's prompt…");
  passkeyButton.disabled = true;
  try {
    await signInWith(undefined, undefined);
  } catch (error) {
    say(passkeyStatus, explain(error), "error");
  } finally {
    passkeyButton.disabled = false;
  }
});

if (!supported()) {
  passkeyButton.disabled = true;
  say(passkeyStatus, "This browser cannot use passkeys. Use your department sign-in, or another browser.");
} else if (!localhostInstead()) {
  startAutofill();
}

// the page asked for before signing in: both department forms send it along, and a passkey
// sign-in goes there too
for (const field of document.querySelectorAll("input.next-page")) field.value = next();
load();
