// The installed app's offline copy: the public pages, the crisis lines, the self-checks and
// the shell. Only these public addresses are ever cached, fetched without cookies, so no
// signed-in answer (a search, a profile, the API, a document) is ever kept on the device.
//
// A network that accepts and never answers must not hide the crisis lines: /crisis comes
// from the copy at once (and is refreshed behind it); any other page waits for the network a
// few seconds at most, then shows the copy, or the crisis lines with a note that the phone
// seems to be offline. The gateway writes a digest of the site's pages and files into
// VERSION, so any change to the site installs a new worker, which keeps a fresh copy.
const VERSION = "wnwa-public-SITE_DIGEST";
const PUBLIC_PAGES = ["/", "/crisis", "/self-check", "/about", "/faq", "/training", "/privacy", "/terms"];
const SHELL = ["/portal/static/portal.css", "/portal/static/app.js", "/portal/static/lib.js",
  "/portal/static/welcome.js", "/portal/static/faq.js", "/portal/static/next-steps.js",
  "/portal/static/self-check.js", "/portal/static/self-check-scoring.js", "/portal/static/icon.svg",
  "/portal/static/icon-192.png", "/manifest.webmanifest"];
const KEPT = new Set([...PUBLIC_PAGES, ...SHELL]);
const HELD_WAIT_MS = 2000; // a page or file the copy holds: the network has this long
const PAGE_WAIT_MS = 4000; // a page it does not hold, before the crisis lines are shown
const REFRESH_WAIT_MS = 10000; // refreshing the crisis lines behind the copy
// pages shown from the copy: their files come from the same copy, not the network
const fromCopy = new Set();

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(VERSION);
    // without cookies: "/" is then the visitor's page, whoever installed the app
    await cache.addAll([...KEPT].map((url) => new Request(url, { credentials: "omit" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== VERSION) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") event.respondWith(navigate(event, url));
  else if (KEPT.has(url.pathname)) event.respondWith(file(event, url));
  // everything else (the API, sign-in, documents, other pages' scripts) goes to the network only
});

/** The network's answer, or null when it fails or takes longer than `ms` (null: no limit). */
function within(answer, ms) {
  const settled = answer.catch(() => null);
  if (ms === null) return settled;
  return Promise.race([settled, new Promise((resolve) => setTimeout(() => resolve(null), ms))]);
}

async function navigate(event, url) {
  const cache = await caches.open(VERSION);
  const held = KEPT.has(url.pathname) ? await cache.match(url.pathname) : undefined;
  if (url.pathname === "/crisis" && held) {
    event.waitUntil(refresh(cache, "/crisis"));
    fromCopy.add(event.resultingClientId);
    return held;
  }
  // sign-in and documents may take their time (an IdP, a download): no limit, only offline
  const patient = url.pathname.startsWith("/auth/") || url.pathname.startsWith("/documents/");
  const answer = await within(fetch(event.request), held ? HELD_WAIT_MS : patient ? null : PAGE_WAIT_MS);
  if (answer) return answer;
  fromCopy.add(event.resultingClientId);
  const copy = held || await cache.match("/crisis");
  return copy ? offline(copy, url.pathname) : Response.error();
}

async function file(event, url) {
  const cache = await caches.open(VERSION);
  const held = await cache.match(url.pathname);
  if (held && fromCopy.has(event.clientId)) return held;
  return (await within(fetch(event.request), held ? HELD_WAIT_MS : null)) || held || Response.error();
}

/** Fetch the crisis lines again (without cookies) and keep them, when the network answers. */
async function refresh(cache, path) {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), REFRESH_WAIT_MS);
  try {
    const answer = await fetch(new Request(path, { credentials: "omit", signal: stop.signal }));
    if (answer.ok) await cache.put(path, answer);
  } catch {
    // offline or too slow: the copy stays as it is
  } finally {
    clearTimeout(timer);
  }
}

/** The copy, with a note that the network did not answer and a link to try `path` again. */
async function offline(copy, path) {
  const html = await copy.text();
  const again = path.replace(/[^A-Za-z0-9/_.~-]/g, "");
  const note = '<p class="notice" id="offline" role="status"><strong>This phone seems to be offline</strong>, '
    + "or the connection is too slow: this is the copy kept on the phone. The crisis lines work without a "
    + `connection. <a href="${again}">Try again</a></p>`;
  const body = html.replace('<main id="main" tabindex="-1">', (main) => `${main}\n${note}`);
  return new Response(body, { status: 200, headers: copy.headers });
}

// A supporter's device that opted in to notices (/messages): every push carries the same
// bytes, and the notice says only that something waits — never who, which or what.
self.addEventListener("push", (event) => {
  event.waitUntil(self.registration.showNotification("A new message is waiting", {
    tag: "wnwa-message-waiting",
    icon: "/portal/static/icon-192.png",
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({ type: "window" });
    const inbox = open.find((client) => new URL(client.url).pathname === "/messages");
    if (inbox) return inbox.focus();
    return self.clients.openWindow("/messages");
  })());
});
