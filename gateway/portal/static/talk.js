// The officer's side of a conversation with a peer supporter, without sharing a number
// (docs/conversations.md). The officer's key is made for this one conversation and lives in
// this page only: leaving the page ends the conversation, and nothing is kept anywhere.
import { el, say } from "./lib.js";
import { call, KEPT_NOWHERE, listen, refusal } from "./conversations.js";
import { channel, fingerprint, newKeyPair } from "./conversations-crypto.js";

const section = document.getElementById("talk");
const title = document.getElementById("talk-title");
const log = document.getElementById("talk-log");
const form = document.getElementById("talk-form");
const box = document.getElementById("talk-text");
const status = document.getElementById("talk-status");
const link = document.getElementById("talk-link");
const endButton = document.getElementById("talk-end");
const back = document.getElementById("talk-back");
document.getElementById("talk-kept").textContent = KEPT_NOWHERE;

let current = null; // {supporterId, supporterKey, name, id, channel, stop, ended}
let hidden = [];

function line(who, text, kind = "") {
  log.append(el("li", { class: `message ${kind}`.trim() }, el("span", { class: "who", text: who }), " ", text));
}

/** Open the view for a supporter (from their card); `hide` are the list's parts to fold away. */
export async function startTalking(supporter, hide) {
  if (current && !current.ended) await finish();
  current = { supporterId: supporter.id, supporterKey: supporter.publicKey, name: supporter.displayName,
    id: null, channel: null, stop: null, ended: false };
  hidden = hide.filter((node) => !node.hidden);
  hidden.forEach((node) => { node.hidden = true; });
  title.textContent = `Message ${supporter.displayName}`;
  log.replaceChildren();
  say(status, "");
  say(link, "");
  form.hidden = false;
  endButton.hidden = true;
  box.value = "";
  section.hidden = false;
  document.getElementById("talk-fingerprint").textContent =
    `Their device's key: ${(await fingerprint(supporter.publicKey)).replace(/(.{4})(?!$)/g, "$1 ")}`;
  title.focus();
}

async function send(text) {
  if (!current.id) {
    // the first message opens the conversation, with a key made for it alone
    const pair = await newKeyPair();
    const sealer = await channel(pair.privateKey, current.supporterKey, "officer", pair.public, current.supporterKey);
    const answer = await call("POST", `/conversations/${current.supporterId}/open`,
      { officerKey: pair.public, supporterKey: current.supporterKey, message: await sealer.seal(text) });
    if (answer.status !== 201) throw new Error(refusal(answer));
    current.id = answer.body.conversation;
    current.channel = sealer;
    const talking = current;
    talking.stop = listen(`/conversations/${talking.supporterId}/${talking.id}/stream`,
      (event) => heard(talking, event), (trouble) => { if (!talking.ended) say(link, trouble, "error"); });
    endButton.hidden = false;
    return;
  }
  const sealed = await current.channel.seal(text);
  const answer = await call("POST", `/conversations/${current.supporterId}/${current.id}/messages`, sealed);
  if (answer.status !== 202) {
    current.channel.rewind();
    throw new Error(refusal(answer));
  }
}

async function heard(talking, event) {
  if (talking !== current) return;
  if (event.type === "message") {
    try {
      line(`${talking.name}:`, await talking.channel.open(event));
    } catch {
      line("", "A message could not be opened on this page and was set aside.", "note");
    }
  } else if (event.type === "ended") {
    const why = event.reason === "device-changed" ? `${talking.name} moved to another device; this conversation ended.`
      : event.reason === "idle" ? "Nobody wrote for two hours; this conversation ended."
        : `${talking.name} ended this conversation.`;
    ended(talking, why);
  }
}

function ended(talking, why) {
  talking.ended = true;
  if (talking.stop) talking.stop();
  form.hidden = true;
  endButton.hidden = true;
  line("", why, "note");
  say(link, "");
  say(status, why);
}

async function finish() {
  const talking = current;
  if (talking && talking.id && !talking.ended) {
    await call("POST", `/conversations/${talking.supporterId}/${talking.id}/end`).catch(() => null);
    ended(talking, "You ended this conversation. Nothing of it is kept.");
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = box.value.trim();
  if (!text) { say(status, "Write a message first.", "error"); box.focus(); return; }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await send(text);
    line("You:", text, "mine");
    box.value = "";
    say(status, "Sent.");
  } catch (error) {
    say(status, error.message, "error");
  } finally {
    button.disabled = false;
    box.focus();
  }
});

endButton.addEventListener("click", () => finish());

back.addEventListener("click", async () => {
  await finish();
  section.hidden = true;
  hidden.forEach((node) => { node.hidden = false; });
  current = null;
  const first = document.querySelector("#results .talk-button") || document.getElementById("results");
  if (first) first.focus();
});

// the officer's key dies with the page: tell the supporter the conversation is over
window.addEventListener("pagehide", () => {
  if (current && current.id && !current.ended) {
    call("POST", `/conversations/${current.supporterId}/${current.id}/end`, undefined, { keepalive: true }).catch(() => null);
  }
});
