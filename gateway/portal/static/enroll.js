// Enrolling: a one-time code from the coordinator, then a passkey made on this device.
import { say } from "./lib.js";
import { call, create, explain, localhostInstead, supported } from "./passkey.js";
import { FormProof, refusedForProof } from "./proof.js";

const form = document.getElementById("enroll-form");
const code = document.getElementById("code");
const button = document.getElementById("enroll-button");
const status = document.getElementById("enroll-status");
// each try of a code pays a small puzzle, solved while the code is typed
const proof = new FormProof(async () => {
  const answer = await fetch("/auth/enroll/challenge", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .catch(() => { throw new Error("We could not reach the network. Check your connection and try again."); });
  if (!answer.ok) throw new Error((await answer.json().catch(() => ({}))).error || "Something went wrong. Please try again.");
  return answer.json();
}).watch(form);

const elsewhere = localhostInstead();
if (elsewhere) window.location.replace(elsewhere);
if (!supported()) {
  button.disabled = true;
  say(status, "This browser cannot make passkeys. Try your phone's own browser.", "error");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const typed = code.value.replace(/[\s-]/g, "");
  if (!typed) {
    say(status, "Type the code your coordinator gave you.", "error");
    code.focus();
    return;
  }
  if (!/^[0-9A-Za-z]{20}$/.test(typed)) {
    say(status, "An enrollment code has 20 letters and digits, like 7K3M-Q9TD-2H8F-XW4P-RC6N. Check it and type it again.", "error");
    code.setAttribute("aria-invalid", "true");
    code.focus();
    return;
  }
  button.disabled = true;
  say(status, "Checking the code…");
  try {
    const tryCode = async () => call("/auth/enroll/options", { code: code.value, proofOfWork: await proof.take() });
    let options = await tryCode();
    proof.spent(); // a well-formed code's try spends its solution, whatever the answer
    if (!options.ok && refusedForProof(options.body.code)) {
      options = await tryCode();
      proof.spent();
    }
    if (!options.ok) {
      say(status, options.body.error || "That code does not work.", "error");
      code.setAttribute("aria-invalid", "true");
      code.focus();
      return;
    }
    code.removeAttribute("aria-invalid");
    say(status, "Follow your device's prompt to make the passkey…");
    const credential = await create(options.body);
    const answer = await call("/auth/enroll", { credential });
    if (!answer.ok) {
      say(status, answer.body.error || "The passkey could not be saved.", "error");
      return;
    }
    say(status, "Your passkey is ready and you are signed in.");
    window.location.assign("/");
  } catch (error) {
    say(status, explain(error), "error");
  } finally {
    button.disabled = false;
  }
});
