// The conversations' end-to-end protocol (docs/conversations.md), in WebCrypto only:
// ECDH P-256 → HKDF-SHA256 → AES-256-GCM. tests/support/sealing.py is the same in Python.
// Private keys are made non-extractable: no script, this one included, can read them out.

const CURVE = { name: "ECDH", namedCurve: "P-256" };
const INFO = new TextEncoder().encode("wnwa conversation v1");

export function b64url(bytes) {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function unb64url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** A new key pair whose private half never leaves this browser. */
export async function newKeyPair() {
  const pair = await crypto.subtle.generateKey(CURVE, false, ["deriveBits"]);
  const publicRaw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, public: b64url(publicRaw) };
}

/** The public key of a pair kept earlier (an IndexedDB record), base64url. */
export async function publicOf(pair) {
  return b64url(await crypto.subtle.exportKey("raw", pair.publicKey));
}

/** The first 16 hex digits of SHA-256 of a public key, as the API gives them. */
export async function fingerprint(publicKey) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", unb64url(publicKey)));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * One side's view of a conversation: `side` is "officer" or "supporter"; `theirs` the other
 * side's public key; `officerKey` and `supporterKey` both public keys (the HKDF salt).
 */
export async function channel(privateKey, theirs, side, officerKey, supporterKey) {
  const peer = await crypto.subtle.importKey("raw", unb64url(theirs), CURVE, false, []);
  const shared = await crypto.subtle.deriveBits({ name: "ECDH", public: peer }, privateKey, 256);
  const base = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const salt = new Uint8Array([...unb64url(officerKey), ...unb64url(supporterKey)]);
  const key = await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt, info: INFO }, base, { name: "AES-GCM", length: 256 }, false,
    ["encrypt", "decrypt"]);
  const other = side === "officer" ? "supporter" : "officer";
  let sent = 0;
  let read = 0;
  return {
    /** The next message to send: {seq, iv, ciphertext}. */
    async seal(text) {
      const seq = sent;
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const additionalData = new TextEncoder().encode(`wnwa/v1|${side}|${seq}`);
      const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key,
        new TextEncoder().encode(text));
      sent += 1;
      return { seq, iv: b64url(iv), ciphertext: b64url(sealed) };
    },
    /** The relay refused the last message sealed: its number is free again (a new IV next time). */
    rewind() {
      if (sent > 0) sent -= 1;
    },
    /** The text of the other side's next message; throws on anything else. */
    async open(event) {
      if (event.from !== other || event.seq !== read) throw new Error("out of order, replayed or reflected");
      const additionalData = new TextEncoder().encode(`wnwa/v1|${other}|${read}`);
      const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64url(event.iv), additionalData }, key,
        unb64url(event.ciphertext));
      read += 1;
      return new TextDecoder("utf-8", { fatal: true }).decode(plain);
    },
  };
}
