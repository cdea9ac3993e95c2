// A peer supporter's inbox: officers who write without sharing their number
// (docs/conversations.md). This device's key pair is made here and kept in IndexedDB, its
// private half non-extractable (no script can read it out); its public half is published.
// Messages arrive at once on the stream, are opened here and are kept nowhere: the page
// shows them while it is open, and the relay never learns who the officer is.
import { el, gql, problem, say, signedIn } from "./lib.js";
import { call, KEPT_NOWHERE, listen, refusal } from "./conversations.js";
import { channel, fingerprint, newKeyPair, publicOf, unb64url } from "./conversations-crypto.js";

const signed = document.getElementById("signed");
const list = document.getElementById("conversations");
const none = document.getElementById("none");
const link = document.getElementById("link");
const deviceCard = document.getElementById("device");
const deviceState = document.getElementById("device-state");
const deviceStatus = document.getElementById("device-status");
const takeHere = document.getElementById("take-here");
const pushCard = document.getElementById("push");
const pushStatus = document.getElementById("push-status");
const pushOn = document.getElementById("push-on");
const pushOff = document.getElementById("push-off");
const offCall = document.getElementById("push-off-call");
document.getElementById("kept").textContent = `${KEPT_NOWHERE.replace("Closing this page ends the conversation.",
  "A conversation lives in this page: after a reload, earlier messages are not shown again.")}`;

const conversations = new Map(); // id → {channel, panel, log, form, ended}
let supporterId = null;
let base = null;
let pair = null;
let serial = 0;

// this device's key, in IndexedDB -----------------------------------------------------------

function database() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open("wnwa-messaging", 1);
    request.onupgradeneeded = () => request.result.createObjectStore("device");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function stored(action, ...args) {
  const db = await database();
  try {
    return await new Promise((resolve, reject) => {
      const store = db.transaction("device", action === "get" ? "readonly" : "readwrite").objectStore("device");
      const request = store[action](...args);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

/** This device's key pair for the supporter's profile: the one kept, or a new one. */
async function deviceKeys(profileId) {
  const kept = await stored("get", "keys");
  if (kept && kept.supporterId === profileId) return kept.pair;
  const made = await newKeyPair();
  const keys = { privateKey: made.privateKey, publicKey: made.publicKey };
  await stored("put", { supporterId: profileId, pair: keys }, "keys");
  return keys;
}

async function publish(publicKey) {
  const answer = await call("PUT", `${base}/device`, { publicKey });
  if (answer.status !== 200) throw new Error(refusal(answer));
}

// conversations ------------------------------------------------------------------------------

function line(conversation, who, text, kind = "") {
  conversation.log.append(el("li", { class: `message ${kind}`.trim() }, el("span", { class: "who", text: who }), " ", text));
}

function panel(id, readable) {
  serial += 1;
  const heading = `Conversation ${serial}`;
  const log = el("ol", { class: "messages" });
  const textId = `reply-${serial}`;
  const status = el("p", { class: "status", role: "status" });
  const form = el("form", { novalidate: true },
    el("label", { for: textId, text: "Your reply" }),
    el("textarea", { id: textId, name: "text", maxlength: "4000", autocomplete: "off" }),
    el("button", { type: "submit", text: "Send" }));
  const conversation = { id, channel: null, log, form, status, ended: false, panel: null };
  const act = (what, label, confirmText) => el("button", { type: "button", class: "secondary",
    "aria-label": `${label} (${heading})`,
    onclick: () => { if (!confirmText || window.confirm(confirmText)) finish(conversation, what); } }, label);
  conversation.actions = el("p", { class: "tight" },
    act("end", "End"),
    act("block", "Block", "Block this officer? The conversation ends and they cannot write to you for a week."),
    act("report", "Report", "Report this officer? The conversation ends, they cannot write to you for a week, and"
      + " repeated reports pause their new conversations. Nobody is told who they are, not their department."));
  conversation.panel = el("article", { class: "card conversation", "aria-labelledby": `title-${serial}` },
    el("h3", { id: `title-${serial}`, text: heading }),
    el("p", { class: "meta", text: readable ? "An officer from another department. You see only what they write."
      : "From before this page was opened: its messages cannot be opened here. End it, or block or report." }),
    el("div", { role: "log", "aria-live": "polite", "aria-label": `Messages in ${heading}` }, log),
    readable ? form : null, status, conversation.actions);
  form.addEventListener("submit", (event) => { event.preventDefault(); reply(conversation); });
  conversations.set(id, conversation);
  none.hidden = true;
  list.prepend(conversation.panel);
  return conversation;
}

async function reply(conversation) {
  const box = conversation.form.elements.text;
  const text = box.value.trim();
  if (!text) { say(conversation.status, "Write a reply first.", "error"); box.focus(); return; }
  const button = conversation.form.querySelector("button");
  button.disabled = true;
  try {
    const sealed = await conversation.channel.seal(text);
    const answer = await call("POST", `${base}/${conversation.id}/messages`, sealed);
    if (answer.status !== 202) {
      conversation.channel.rewind();
      throw new Error(refusal(answer));
    }
    line(conversation, "You:", text, "mine");
    box.value = "";
    say(conversation.status, "Sent.");
  } catch (error) {
    say(conversation.status, error.message, "error");
  } finally {
    button.disabled = false;
    box.focus();
  }
}

async function finish(conversation, what) {
  const answer = await call("POST", `${base}/${conversation.id}/${what}`).catch((error) => ({ status: 0, body: { error: error.message } }));
  if (answer.status !== 200 && answer.status !== 404) { say(conversation.status, refusal(answer), "error"); return; }
  const done = { end: "You ended this conversation.", block: "You ended this conversation and blocked this officer for a week.",
    report: "You reported this officer: the conversation ended and they are blocked for a week." }[what];
  ended(conversation, `${done} Nothing of it is kept.`);
}

function ended(conversation, why) {
  if (conversation.ended) return;
  conversation.ended = true;
  conversation.panel.classList.add("ended");
  conversation.form.remove();
  conversation.actions.remove();
  line(conversation, "", why, "note");
  say(conversation.status, why);
}

async function heard(event) {
  let conversation = conversations.get(event.conversation);
  if (event.type === "opened") {
    const mine = await publicOf(pair);
    if (event.supporterKey !== mine) return; // sealed to another device's key
    conversation = panel(event.conversation, true);
    conversation.channel = await channel(pair.privateKey, event.officerKey, "supporter", event.officerKey, mine);
  } else if (!conversation) {
    if (event.type === "ended") return;
    conversation = panel(event.conversation, false);
  }
  if (event.type === "ended") {
    ended(conversation, event.reason === "device-changed" ? "You moved to another device; this conversation ended."
      : event.reason === "idle" ? "Nobody wrote for two hours; this conversation ended."
        : "The officer ended this conversation. Nothing of it is kept.");
    return;
  }
  if (!conversation.channel) return;
  try {
    line(conversation, "Officer:", await conversation.channel.open(event));
  } catch {
    line(conversation, "", "A message could not be opened on this device and was set aside.", "note");
  }
}

// notices when the page is closed (Web Push) -------------------------------------------------

async function showPush(device) {
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  pushCard.hidden = false;
  if (!supported) {
    pushOn.hidden = true;
    say(pushStatus, "This browser cannot show notices. Keep this page open to see messages at once.");
    return;
  }
  pushOn.hidden = device.push;
  pushOff.hidden = !device.push;
  offCall.checked = device.pushOffCall;
  say(pushStatus, device.push ? "Notices are on for this device." : "");
  pushOn.onclick = async () => {
    pushOn.disabled = true;
    try {
      if (await Notification.requestPermission() !== "granted") throw new Error("The browser was not allowed to show notices.");
      const worker = await navigator.serviceWorker.ready;
      const old = await worker.pushManager.getSubscription();
      if (old) await old.unsubscribe();
      const subscription = await worker.pushManager.subscribe({ userVisibleOnly: true,
        applicationServerKey: unb64url(device.applicationServerKey) });
      const answer = await call("PUT", `${base}/device/push`, { subscription: subscription.toJSON(), offCall: offCall.checked });
      if (answer.status !== 200) throw new Error(refusal(answer));
      pushOn.hidden = true;
      pushOff.hidden = false;
      say(pushStatus, "Notices are on for this device.");
    } catch (error) {
      say(pushStatus, error.message || "Notices could not be turned on.", "error");
    } finally {
      pushOn.disabled = false;
    }
  };
  pushOff.onclick = async () => {
    const worker = await navigator.serviceWorker.ready;
    const subscription = await worker.pushManager.getSubscription();
    if (subscription) await subscription.unsubscribe();
    const answer = await call("PUT", `${base}/device/push`, { subscription: null });
    if (answer.status !== 200) { say(pushStatus, refusal(answer), "error"); return; }
    pushOn.hidden = false;
    pushOff.hidden = true;
    say(pushStatus, "Notices are off.");
  };
}

// start ----------------------------------------------------------------------------------------

function stream() {
  listen(`${base}/inbox`, (event) => { heard(event); }, (trouble) => say(link, trouble, trouble ? "error" : "ok"));
}

try {
  await signedIn();
  const answer = await gql("query MyMessagingProfile { myPeerSupporterProfile { id active } }");
  const profile = answer.data && answer.data.myPeerSupporterProfile;
  if (!profile) throw new Error(problem(answer) || "Messages come to peer supporters with a profile: make yours on My profile first.");
  if (!profile.active) throw new Error("Your profile is not active: officers cannot write to you now.");
  supporterId = profile.id;
  base = `/conversations/${supporterId}`;
  pair = await deviceKeys(supporterId);
  const mine = await publicOf(pair);
  const device = await call("GET", `${base}/device`);
  if (device.status !== 200) throw new Error(refusal(device));
  deviceCard.hidden = false;
  document.getElementById("device-fingerprint").textContent =
    `This device's key: ${(await fingerprint(mine)).replace(/(.{4})(?!$)/g, "$1 ")}`;
  if (device.body.publicKey === null || device.body.publicKey === mine) {
    if (device.body.publicKey === null) await publish(mine);
    deviceState.textContent = "Messages come to this device. Officers see a button to write to you on your card.";
    signed.textContent = "";
    await showPush(device.body.publicKey === null ? { ...device.body, push: false, pushOffCall: false } : device.body);
    stream();
  } else {
    deviceState.textContent = "Your messages go to another device. Taking them here ends the conversations open there"
      + " (their messages cannot be moved: only that device can open them).";
    takeHere.hidden = false;
    signed.textContent = "";
    takeHere.onclick = async () => {
      takeHere.disabled = true;
      try {
        await publish(mine);
        takeHere.hidden = true;
        deviceState.textContent = "Messages come to this device now.";
        await showPush({ ...device.body, push: false, pushOffCall: false });
        stream();
      } catch (error) {
        say(deviceStatus, error.message, "error");
      } finally {
        takeHere.disabled = false;
      }
    };
  }
} catch (error) {
  say(signed, error.message, "error");
}
