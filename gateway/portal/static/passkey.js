// Passkeys in the browser: the WebAuthn calls and the JSON identity sends and expects.
// Binary fields travel as unpadded base64url, as in the WebAuthn JSON encoding.

function toBytes(value) {
  const base64 = value.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((value.length + 3) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function toText(buffer) {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** True where this browser can make and use passkeys at all. */
export function supported() {
  return Boolean(window.PublicKeyCredential && navigator.credentials);
}

/**
 * Browsers accept no IP address as a passkey's website; on a loopback development
 * address the same page on `localhost` is used instead. Returns that address, or null.
 */
export function localhostInstead() {
  const host = window.location.hostname;
  if (host !== "127.0.0.1" && host !== "[::1]") return null;
  const url = new URL(window.location.href);
  url.hostname = "localhost";
  return url.toString();
}

/** POST JSON to identity (through the gateway); the answer as {ok, status, body}. */
export async function call(path, payload) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(payload || {}),
    });
  } catch {
    throw new Error("We could not reach the network. Check your connection and try again.");
  }
  let body = {};
  try { body = await response.json(); } catch { body = {}; }
  return { ok: response.ok, status: response.status, body };
}

/** Make a passkey from identity's creation options; the answer ready to send back. */
export async function create(options) {
  const publicKey = {
    ...options.publicKey,
    challenge: toBytes(options.publicKey.challenge),
    user: { ...options.publicKey.user, id: toBytes(options.publicKey.user.id) },
    excludeCredentials: (options.publicKey.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
  };
  const credential = await navigator.credentials.create({ publicKey });
  return {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toText(credential.response.clientDataJSON),
      attestationObject: toText(credential.response.attestationObject),
      transports: credential.response.getTransports ? credential.response.getTransports() : [],
    },
  };
}

/** Use a passkey for identity's request options (mediation "conditional" for autofill). */
export async function get(options, { mediation, signal } = {}) {
  const publicKey = {
    ...options.publicKey,
    challenge: toBytes(options.publicKey.challenge),
    allowCredentials: (options.publicKey.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
  };
  const request = { publicKey, signal };
  if (mediation) request.mediation = mediation;
  const credential = await navigator.credentials.get(request);
  if (!credential) return null;
  return {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: toText(credential.response.clientDataJSON),
      authenticatorData: toText(credential.response.authenticatorData),
      signature: toText(credential.response.signature),
      userHandle: credential.response.userHandle ? toText(credential.response.userHandle) : null,
    },
  };
}

/** A failed WebAuthn call in plain words. */
export function explain(error) {
  if (error && error.name === "NotAllowedError") return "The passkey request was canceled or timed out. Try again when you are ready.";
  if (error && error.name === "InvalidStateError") return "This device already holds a passkey for you here.";
  if (error && error.name === "SecurityError") return "Passkeys do not work on this address. Open the network's own address.";
  return (error && error.message) || "Something went wrong. Please try again.";
}

/** Where to go after signing in: the page asked for (a plain local path), or home. */
export function next() {
  const wanted = new URLSearchParams(window.location.search).get("next") || "/";
  return /^\/(?!\/)[A-Za-z0-9/_-]{0,200}$/.test(wanted) && !wanted.startsWith("/auth") ? wanted : "/";
}
