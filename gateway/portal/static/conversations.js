// What the officer's conversation view and the supporter's inbox share: the relay's HTTP
// routes (/conversations/*, docs/conversations.md) with one session renewal, and streams.
// Nothing is written to the browser's storage here.

const REFRESH = "/auth/refresh";

async function renew() {
  const renewed = await fetch(REFRESH, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: "{}",
  }).catch(() => null);
  return Boolean(renewed && renewed.ok);
}

/** One request to the relay: {status, body}; renews the session once on 401. */
export async function call(method, path, body = undefined, { keepalive = false } = {}) {
  const send = () => fetch(path, {
    method,
    credentials: "same-origin",
    keepalive,
    headers: {
      Accept: "application/json",
      ...(method === "GET" ? {} : { "X-WNWA-Request": "1" }),
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let response;
  try {
    response = await send();
    if (response.status === 401 && !keepalive && await renew()) response = await send();
  } catch {
    throw new Error("We could not reach the network. Check your connection and try again.");
  }
  if (response.status === 401) {
    window.location.assign(`/sign-in?next=${encodeURIComponent(window.location.pathname)}`);
    throw new Error("Please sign in.");
  }
  let answer = {};
  try {
    answer = await response.json();
  } catch {
    // an answer without a body: the status says enough
  }
  return { status: response.status, body: answer };
}

/** The relay's refusal as a sentence a person can act on. */
export function refusal(answer) {
  return answer.body.error || "Something went wrong. Please try again.";
}

/**
 * Server-sent events from `path`: `onEvent(event)` for each, `onTrouble(text or "")` when the
 * connection drops or comes back. The browser reconnects by itself; a refusal (an expired
 * session) renews the session once and opens it again. Returns a function that closes it.
 */
export function listen(path, onEvent, onTrouble) {
  let source = null;
  let closed = false;
  let renewals = 0;
  const open = () => {
    source = new EventSource(path, { withCredentials: true });
    source.onopen = () => { renewals = 0; onTrouble(""); };
    source.onmessage = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      onEvent(event);
    };
    source.onerror = async () => {
      if (closed) return;
      if (source.readyState !== EventSource.CLOSED) {
        onTrouble("The connection dropped; reconnecting…");
        return;
      }
      // refused (an expired session, or nothing left to stream): renew once and try again
      if (renewals < 1 && await renew()) {
        renewals += 1;
        open();
      } else {
        onTrouble("The connection closed. Reload the page to reconnect.");
      }
    };
  };
  open();
  return () => {
    closed = true;
    if (source) source.close();
  };
}

export const KEPT_NOWHERE = "Messages are sealed on this device and opened only on the other person's: the network "
  + "cannot read them and keeps them nowhere — no database, no file, no log. A message waits in the service's "
  + "memory only until it is read (at most 15 minutes); if the service restarts, messages not yet delivered are "
  + "lost. Closing this page ends the conversation.";
