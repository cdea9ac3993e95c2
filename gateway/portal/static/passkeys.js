// My passkeys: the one this session was opened with (remove it), and adding one here.
import { el, say } from "./lib.js";
import { call, create, explain, localhostInstead, supported } from "./passkey.js";

const status = document.getElementById("status");
const current = document.getElementById("current");
const addSection = document.getElementById("add-section");
const addPeriod = document.getElementById("add-period");
const addButton = document.getElementById("add-button");

function day(iso) {
  return new Date(`${iso}T12:00:00Z`).toLocaleDateString(undefined, { year: "numeric", month: "long", day: "numeric" });
}

async function load() {
  const elsewhere = localhostInstead();
  if (elsewhere) { window.location.replace(elsewhere); return; }
  let response;
  try {
    response = await fetch("/auth/passkeys/mine", { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    say(status, "We could not reach the network. Check your connection and try again.", "error");
    return;
  }
  if (response.status === 401) { window.location.assign("/sign-in?next=/passkeys"); return; }
  const mine = await response.json();
  if (mine.current) {
    const until = mine.current.validUntil ? `Works until ${day(mine.current.validUntil)}.` : "Works until it is removed or revoked.";
    current.replaceChildren(
      el("p", {}, "You signed in with a passkey (handle ", el("code", {}, mine.current.id), "). ", until),
      el("button", { type: "button", class: "secondary", id: "remove-button", onclick: remove }, "Remove this passkey and sign out"),
    );
  } else {
    current.replaceChildren(el("p", {}, mine.signedInWith === "department"
      ? "You signed in with your department's sign-in."
      : "The passkey you signed in with is no longer here."));
  }
  addSection.hidden = !mine.canAdd || !supported();
  addPeriod.textContent = mine.periodDays
    ? `It will work for ${mine.periodDays} days; after that, one department sign-in renews it. Until then your department's sign-in does not see your visits.`
    : "It will work until it is removed or revoked, like the passkey you signed in with.";
}

async function remove() {
  if (!window.confirm("Remove this passkey? You will be signed out and need a new code or a department sign-in.")) return;
  const answer = await call("/auth/passkeys/mine/remove");
  if (answer.ok) window.location.assign("/sign-in");
  else say(status, answer.body.error || "The passkey could not be removed.", "error");
}

addButton.addEventListener("click", async () => {
  addButton.disabled = true;
  try {
    const options = await call("/auth/passkeys/add/options");
    if (!options.ok) { say(status, options.body.error || "A passkey cannot be added now.", "error"); return; }
    say(status, "Follow your device's prompt…");
    const credential = await create(options.body);
    const answer = await call("/auth/passkeys/add", { credential });
    if (answer.ok) say(status, "Your passkey is added. Next time, choose “Sign in with a passkey”.");
    else say(status, answer.body.error || "The passkey could not be added.", "error");
  } catch (error) {
    say(status, explain(error), "error");
  } finally {
    addButton.disabled = false;
  }
});

load();
