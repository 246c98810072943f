// Talentkaart service worker, served from /sw.js so it controls every page.
// The server fills in VERSION (a hash of assets, templates and translations)
// and SHELL; each build gets its own caches and the old ones are removed.
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const SHELL_CACHE = `shell-${VERSION}`;
const PAGES_CACHE = `pages-${VERSION}`;
const NETWORK_TIMEOUT_MS = 4000;
// Who the kept pages belong to; never a real page (see pagesFor).
const OWNER_KEY = "/sw-owner";
const USER_HEADER = "X-Talentkaart-User";
const PACK_HEADER = "X-Talentkaart-Pack";
// A flash message ("Saved.") is for the page the person sees next, never for a
// kept copy: copies fetched to keep say so (the server then shows no message
// and leaves it for that page), and a page that showed one says so.
const KEEP_HEADER = "X-Talentkaart-Keep";
const FLASH_HEADER = "X-Talentkaart-Flash";

// Install: keep the app shell, and re-fetch the profile pages the previous
// version kept, rendered by the new templates. If that fails (offline), the
// install fails and the old version keeps working: nobody is stranded.
self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(SHELL_CACHE);
    // Without cookies: the shell's "no connection" page must be nobody's page.
    await shell.addAll(SHELL.map((url) => new Request(url, { credentials: "omit" })));
    for (const name of await caches.keys()) {
      if (!name.startsWith("pages-") || name === PAGES_CACHE) continue;
      const old = await caches.open(name);
      for (const request of await old.keys()) {
        if (new URL(request.url).pathname !== OWNER_KEY) await keep(request.url);
      }
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
  if (message.type === "cache-pages") {
    // The page learns on its own channel whether every page is kept now.
    event.waitUntil(cachePagesOnce(message.urls || []).then((kept) => event.ports[0]?.postMessage({ kept })));
  }
  if (message.type === "clear-pages") {
    signedOut += 1;
    running.clear();
    event.waitUntil(caches.delete(PAGES_CACHE));
  }
});

// ---- whose pages these are --------------------------------------------------

// Who the server says is signed in: {user, idle} or null for nobody. Only
// our server sends the header: a captive portal's page changes nothing.
function signedIn(response) {
  const value = response.headers.get(USER_HEADER);
  if (!value) return undefined;
  if (value === "none") return null;
  const [user, idle] = value.split(/;\s*idle=/);
  return { user, idle: Number(idle) || 0 };
}

// The pages cache holds one person's pages. When the server says someone
// else, or nobody, is signed in now (also after a sign-out that did not go
// through our button: an idle shared tablet, a PIN changed elsewhere), the
// kept pages go before anything is kept or shown. Returns the cache to keep
// this response's page in, or null. One at a time: pages come in parallel.
let ownerCheck = Promise.resolve();
function pagesFor(response, asked) {
  const run = ownerCheck.then(() => claim(signedIn(response), asked));
  ownerCheck = run.catch(() => {});
  return run;
}

// Counts sign-outs through our button. A page asked for before one (a slow
// refresh still on its way) may arrive after the next person signed in: it
// must not make its owner the owner again.
let signedOut = 0;

async function claim(who, asked) {
  if (who === undefined || (who && asked !== signedOut)) return null;
  const owner = await readOwner();
  if (!who || owner?.user !== who.user) await caches.delete(PAGES_CACHE);
  if (!who) return null;
  const cache = await caches.open(PAGES_CACHE);
  // A shared device's idle clock runs from the last answer; noted once a minute.
  if (owner?.user !== who.user || (who.idle && Date.now() - owner.seen > 60_000)) {
    await cache.put(OWNER_KEY, new Response(JSON.stringify({ ...who, seen: Date.now() })));
  }
  return cache;
}

async function readOwner() {
  const entry = await caches.match(OWNER_KEY, { cacheName: PAGES_CACHE });
  return entry ? entry.json() : null;
}

// A kept page, if the pages are still someone's: on a shared device the
// server signs out after `idle` seconds without use, and so do we, also with
// no network to ask. Never opens (and so re-creates) a deleted cache.
async function keptPage(url) {
  const owner = await readOwner();
  if (!owner) return undefined;
  if (owner.idle && Date.now() - owner.seen > owner.idle * 1000) {
    await caches.delete(PAGES_CACHE);
    return undefined;
  }
  return caches.match(url, { cacheName: PAGES_CACHE, ignoreVary: true });
}

// ---- asking only for what changed ------------------------------------------

// The request again, asking for the page only if it differs from the kept
// copy. A navigation cannot be copied with new headers, so this is a plain
// request; for a navigation its redirects stay the browser's to follow.
function conditional(request, kept) {
  const etag = kept?.headers.get("ETag");
  if (!etag) return request;
  const headers = new Headers(request.headers);
  headers.set("If-None-Match", etag);
  return new Request(request.url, { headers, credentials: "same-origin", cache: "no-store",
    redirect: request.mode === "navigate" ? "manual" : "follow" });
}

// What to show for a network answer, keeping the page if it should be kept.
// A 304 is never shown as such: it means the kept copy is still right.
async function settle(response, key, kept, keepIt, asked) {
  if (response.status === 304) await response.arrayBuffer(); // empty; read, the request is done
  const cache = await pagesFor(response, asked);
  if (kept && response.status === 304) return refreshed(cache, key, kept, response);
  if (cache && keepIt && response.ok && !response.redirected && !response.headers.has(FLASH_HEADER)) {
    await store(cache, key, response.clone());
  }
  return response;
}

// A full phone must not stop a page from showing: keeping it is a bonus.
async function store(cache, key, response) {
  try { await cache.put(key, response); } catch { /* quota: the network copy still shows */ }
}

// The server leaves the pack version out of the ETag (it changes with every
// saved entry; most pages do not), so an unchanged page may carry an old
// one: write in the current version, so the offline module sees it.
async function refreshed(cache, key, kept, response) {
  const version = response.headers.get(PACK_HEADER);
  if (!version || kept.headers.get(PACK_HEADER) === version) return kept;
  const body = (await kept.text())
    .replace(/data-pack-version="[^"]*"/, `data-pack-version="${version}"`);
  const headers = new Headers(kept.headers);
  headers.set(PACK_HEADER, version);
  headers.delete("Content-Length"); // the kept body is no longer the one that was sent
  headers.delete("Content-Encoding");
  const copy = new Response(body, { status: kept.status, statusText: kept.statusText, headers });
  if (cache) await store(cache, key, copy.clone());
  return copy;
}

// ---- the offline pack --------------------------------------------------------

// Keep one page of the pack (true when it is kept and current).
async function keep(url) {
  try {
    const asked = signedOut;
    const kept = await keptPage(url);
    const request = new Request(url, { credentials: "same-origin", cache: "no-store",
      headers: { [KEEP_HEADER]: "1" } });
    const response = await settle(await fetch(conditional(request, kept)), url, kept, true, asked);
    // A redirect means "signed out": never keep the sign-in page as a profile page.
    return response.ok && !response.redirected;
  } catch {
    return false; // offline: keep what we had
  }
}

// Counts the packs asked for: only the newest one knows which pages are gone.
let packs = 0;

async function cachePages(urls) {
  const own = urls.map((url) => new URL(url, self.location.origin))
    .filter((url) => url.origin === self.location.origin);
  const asked = signedOut;
  const pack = ++packs;
  let kept = true;
  // A few at a time: a cheap phone on a weak network should not choke.
  for (let i = 0; i < own.length; i += 4) {
    const results = await Promise.all(own.slice(i, i + 4).map((url) => keep(url.href)));
    kept = kept && results.every(Boolean);
  }
  // Only a refresh that reached every page may drop any: offline, or signed
  // out half-way, everything kept stays.
  if (kept && pack === packs && asked === signedOut) await dropUnlisted(own);
  return kept;
}

// The kept pages of the pack's person that it no longer lists: the edit page
// of an entry deleted here or elsewhere must not open offline any more. An
// entry made offline and not sent yet needs none of them (it is changed in the
// "new" form, as a draft). Variants with a query the pack does not list go too;
// offline, the page without the query stands in for them (see page).
async function dropUnlisted(urls) {
  const listed = new Set(urls.map((url) => url.pathname + url.search));
  const people = new Set(urls.map((url) => url.pathname.match(/^\/people\/[^/]+\//)?.[0])
    .filter(Boolean));
  if (!people.size || !(await caches.has(PAGES_CACHE))) return;
  const cache = await caches.open(PAGES_CACHE);
  for (const request of await cache.keys()) {
    const url = new URL(request.url);
    const theirs = [...people].some((prefix) => url.pathname.startsWith(prefix));
    if (theirs && !listed.has(url.pathname + url.search)) await cache.delete(request);
  }
}

// Two tabs, or a page that reloads while its refresh runs, ask for the same
// pack: fetch it once and answer both.
const running = new Map();
function cachePagesOnce(urls) {
  const key = JSON.stringify(urls);
  if (!running.has(key)) {
    const run = cachePages(urls).finally(() => { if (running.get(key) === run) running.delete(key); });
    running.set(key, run);
  }
  return running.get(key);
}

// ---- answering the pages' requests ------------------------------------------

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

// Pages: network first (fresh when possible, and only what changed since the
// kept copy), the kept copy when there is no network.
async function page(request, url, later) {
  const key = url.origin + url.pathname + url.search;
  // An htmx fragment is not a page: never store it under the page's URL.
  const fragment = request.headers.get("HX-Request") && !request.headers.get("HX-Boosted");
  const asked = signedOut;
  const kept = fragment ? undefined : await keptPage(key);
  let response;
  try {
    response = await withTimeout(fetch(conditional(request, kept)), NETWORK_TIMEOUT_MS);
  } catch (error) {
    const copy = kept || (!fragment && url.search && (await keptPage(url.origin + url.pathname)));
    if (copy) return copy;
    if (request.mode === "navigate" || request.headers.get("HX-Boosted")) {
      // The person's own "no connection" page if we keep one, else the shell's (nobody's).
      const offline = (await keptPage("/offline"))
        || (await caches.match("/offline", { cacheName: SHELL_CACHE, ignoreVary: true }));
      if (offline) return offline;
    }
    throw error;
  }
  const keepIt = !fragment && isPersonalPage(url);
  const shown = await settle(response, key, kept, keepIt, asked);
  // A page with a message is shown once and not kept (a kept copy would say
  // "Saved." each time it is opened offline): keep one without it instead.
  if (keepIt && shown.ok && shown.headers.has(FLASH_HEADER)) later(keep(key));
  return shown;
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
    event.respondWith(page(request, url, (promise) => event.waitUntil(promise)));
  }
});
