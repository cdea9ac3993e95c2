// The installed app's offline copy: the public pages, the crisis lines and the shell.
// Only these public addresses are ever cached, fetched without cookies, so no signed-in
// answer (a search, a profile, the API, a document) is ever kept on the device.
const VERSION = "wnwa-public-v1";
const PUBLIC_PAGES = ["/", "/crisis", "/about", "/faq", "/training", "/privacy", "/terms"];
const SHELL = ["/portal/static/portal.css", "/portal/static/app.js", "/portal/static/lib.js",
  "/portal/static/welcome.js", "/portal/static/faq.js", "/portal/static/icon.svg",
  "/portal/static/icon-192.png", "/manifest.webmanifest"];
const KEPT = new Set([...PUBLIC_PAGES, ...SHELL]);

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
  if (request.mode === "navigate") {
    // always the network first; offline, the public copy of the page or else the crisis lines
    event.respondWith(fetch(request).catch(async () => {
      const cache = await caches.open(VERSION);
      return (KEPT.has(url.pathname) && await cache.match(url.pathname)) || await cache.match("/crisis");
    }));
  } else if (KEPT.has(url.pathname)) {
    event.respondWith(fetch(request).catch(async () => (await caches.open(VERSION)).match(url.pathname)));
  }
  // everything else (the API, sign-in, documents, other pages' scripts) goes to the network only
});
