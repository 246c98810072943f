// Talentkaart service worker, served from /sw.js so it controls every page.
// The server fills in VERSION (a hash of assets, templates and translations)
// and SHELL; each build gets its own caches and the old ones are removed.
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const SHELL_CACHE = `shell-${VERSION}`;
const PAGES_CACHE = `pages-${VERSION}`;
const NETWORK_TIMEOUT_MS = 4000;

// Install: keep the app shell, and re-fetch the profile pages the previous
// version kept, rendered by the new templates. If that fails (offline), the
// install fails and the old version keeps working: nobody is stranded.
self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(SHELL_CACHE);
    await shell.addAll(SHELL);
    const pages = await caches.open(PAGES_CACHE);
    for (const name of await caches.keys()) {
      if (!name.startsWith("pages-") || name === PAGES_CACHE) continue;
      const old = await caches.open(name);
      for (const request of await old.keys()) await keep(pages, request.url);
    }
  })());
});

// Activate: drop caches of older builds. The first install takes control at
// once; an update only activates after the person agreed (see skip-waiting).
self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const current = new Set([SHELL_CACHE, PAGES_CACHE]);
    for (const name of await caches.keys()) if (!current.has(name)) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "skip-waiting") self.skipWaiting();
  if (message.type === "cache-pages") event.waitUntil(cachePages(message.urls || []));
  if (message.type === "clear-pages") event.waitUntil(caches.delete(PAGES_CACHE));
});

async function keep(cache, url) {
  try {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    // A redirect means "signed out": never keep the sign-in page as a profile page.
    if (response.ok && !response.redirected) await cache.put(url, response);
  } catch { /* offline: keep what we had */ }
}

async function cachePages(urls) {
  const cache = await caches.open(PAGES_CACHE);
  const own = urls.filter((url) => new URL(url, self.location.origin).origin === self.location.origin);
  // A few at a time: a cheap phone on a weak network should not choke.
  for (let i = 0; i < own.length; i += 4) {
    await Promise.all(own.slice(i, i + 4).map((url) => keep(cache, new URL(url, self.location.origin).href)));
  }
}

function isPersonalPage(url) {
  return url.pathname.startsWith("/people/") || url.pathname === "/outbox" || url.pathname === "/offline";
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); });
  });
}

// Pages: network first (fresh when possible), the kept copy when not.
async function page(request, url) {
  const cache = await caches.open(PAGES_CACHE);
  const key = url.origin + url.pathname + url.search;
  // An htmx fragment is not a page: never store it under the page's URL.
  const fragment = request.headers.get("HX-Request") && !request.headers.get("HX-Boosted");
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    if (response.ok && !response.redirected && !fragment && isPersonalPage(url)) {
      await cache.put(key, response.clone());
    }
    return response;
  } catch (error) {
    const kept = !fragment && ((await cache.match(key, { ignoreVary: true }))
      || (url.search && (await cache.match(url.origin + url.pathname, { ignoreVary: true }))));
    if (kept) return kept;
    if (request.mode === "navigate" || request.headers.get("HX-Boosted")) {
      const offline = await caches.match("/offline", { ignoreVary: true });
      if (offline) return offline;
    }
    throw error;
  }
}

// Fingerprinted assets never change under the same URL: cache first.
async function asset(request) {
  const kept = await caches.match(request, { ignoreVary: true });
  if (kept) return kept;
  try {
    const response = await fetch(request);
    if (response.ok) (await caches.open(SHELL_CACHE)).put(request, response.clone());
    return response;
  } catch (error) {
    // Module imports ("./outbox.js") carry no version query: any kept copy will do.
    const any = await caches.match(request, { ignoreVary: true, ignoreSearch: true });
    if (any) return any;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/sync/") || url.pathname === "/sw.js") return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(asset(request));
    return;
  }
  if (request.mode === "navigate" || request.headers.get("HX-Request")) {
    event.respondWith(page(request, url));
  }
});
