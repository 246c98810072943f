// Talentkaart service worker, served from /sw.js so it controls every page.
// The server fills in VERSION (a hash of assets, templates and translations)
// and SHELL; each build gets its own caches and the old ones are removed.
//
// It keeps the app shell, and the signed-in person's "offline pack": the few pages
// /sync/pack lists (their profile's start, basics, section lists, the outbox, and one
// page with an empty form of each kind). Their entries travel as data, kept by the
// pages' own modules (static/js/records.js), and offline an entry's form is the kept
// forms page, filled in from that data (static/js/forms.js).
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const SHELL_CACHE = `shell-${VERSION}`;
const PAGES_CACHE = `pages-${VERSION}`;
const NETWORK_TIMEOUT_MS = 4000;
// Who the kept pages belong to; never a real page (see pagesFor).
const OWNER_KEY = "/sw-owner";
const USER_HEADER = "X-Talentkaart-User";
// A flash message ("Saved.") is for the page the person sees next, never for a
// kept copy: copies fetched to keep say so (the server then shows no message
// and leaves it for that page), and a page that showed one says so.
const KEEP_HEADER = "X-Talentkaart-Keep";
const FLASH_HEADER = "X-Talentkaart-Flash";
// The address of an entry's form (/people/<id>/<section>/new or .../<entry id>), and
// the kept page that stands in for it offline (pwa/offline.py forms).
const ENTRY_FORM = /^\/people\/([^/]+)\/[^/]+\/[^/]+$/;
const formsPage = (person) => `/people/${person}/forms`;

// Install: keep the app shell, and re-fetch the pages the previous version kept,
// drawn by the new templates. If any cannot be fetched (offline), the install
// fails and the old version, with its pages, keeps working: the browser tries
// again later, and nobody is stranded.
self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    // Chromium's "auto preload" sends a navigation to the network itself while this
    // worker starts, and our conditional request (a 304) would come on top of that
    // whole page. Routing navigations to the fetch handler on purpose turns it off.
    try {
      await event.addRoutes?.({ condition: { requestMode: "navigate" }, source: "fetch-event" });
    } catch { /* a browser without static routing has no auto preload either */ }
    try {
      await keepShell();
      const results = await inBatches(await previouslyKept(), (url) => keep(url));
      if (results.includes("failed")) throw new Error("kept pages not refreshed");
    } catch (error) {
      // What this version kept so far goes: the old version's caches stay as they are.
      await Promise.all([caches.delete(SHELL_CACHE), caches.delete(PAGES_CACHE)]);
      throw error;
    }
  })());
});

// Fingerprinted files ("?v=<hash>") an older version already has are copied, not
// downloaded again: htmx and the CSS cost their bytes once per version of the file.
// The rest comes without cookies: the shell's "no connection" page must be nobody's.
async function keepShell() {
  const shell = await caches.open(SHELL_CACHE);
  await Promise.all(SHELL.map(async (url) => {
    const kept = new URL(url, self.location.origin).search
      && (await caches.match(url, { ignoreVary: true }));
    await shell.put(url, kept || (await fetchOk(new Request(url, { credentials: "omit" }))));
  }));
}

async function fetchOk(request) {
  const response = await fetch(request);
  if (!response.ok) throw new Error(`${request.url}: ${response.status}`);
  return response;
}

// The pages an older version keeps: not the owner's note, nor where the start
// leads (the next pack says that again), nor an entry's form (never kept now).
async function previouslyKept() {
  const urls = new Set();
  for (const name of await caches.keys()) {
    if (!name.startsWith("pages-") || name === PAGES_CACHE) continue;
    const old = await caches.open(name);
    for (const request of await old.keys()) {
      const { pathname } = new URL(request.url);
      const page = pathname !== OWNER_KEY && !ENTRY_FORM.test(pathname);
      if (page && (await old.match(request)).ok) urls.add(request.url);
    }
  }
  return [...urls];
}

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
  if (message.type === "claim") event.waitUntil(self.clients.claim());
  if (message.type === "cache-pages") {
    // The page learns on its own channel whether every page is kept now.
    event.waitUntil(cachePagesOnce(message).then((kept) => event.ports[0]?.postMessage({ kept })));
  }
  if (message.type === "keep-recordings") {
    // Read-aloud recordings of a page (static/js/readaloud.js), kept like the shell's
    // files: only our own /audio/ addresses, and the ones not kept yet.
    event.waitUntil((async () => {
      const shell = await caches.open(SHELL_CACHE);
      for (const url of (message.urls || []).filter((u) => new URL(u, self.location.origin).pathname.startsWith("/audio/"))) {
        if (await shell.match(url)) continue;
        try { await shell.put(url, await fetchOk(new Request(url, { credentials: "omit" }))); } catch { /* offline: next time */ }
      }
    })());
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

// Counts sign-outs through our button, and the pack refreshes begun. A page
// asked for before either (a slow refresh still on its way) is out of date
// when it arrives: it must not make its owner the owner again (the next
// person may have signed in), nor replace the copy a newer refresh brings
// (another language, a new entry).
let signedOut = 0;
let packs = 0;
const ticket = () => ({ signedOut, packs });
const outdated = (asked) => asked.signedOut !== signedOut || asked.packs !== packs;

async function claim(who, asked) {
  if (who === undefined || (who && outdated(asked))) return null;
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

// A picture's small preview is kept with the person's pages, so an entry's photos show
// offline too; the full files open only online (or from the phone, before they are sent).
const PREVIEW = /^\/people\/[^/]+\/files\/[0-9a-f]{64}\/preview$/;

async function preview(request) {
  try {
    const response = await fetch(request);
    if (response.ok && (await readOwner())) await (await caches.open(PAGES_CACHE)).put(request, response.clone());
    return response;
  } catch {
    return (await keptPage(request.url)) || Response.error();
  }
}

// ---- asking only for what changed ------------------------------------------

// The request again, asking for the answer only if it differs from the kept
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
// A 304 means the kept copy is right as it is (its tag covers everything it
// shows, the pack's stamp included): it is never shown as such.
async function settle(response, key, kept, keepIt, asked) {
  if (response.status === 304) await response.arrayBuffer(); // empty; read, the request is done
  const cache = await pagesFor(response, asked);
  if (kept && response.status === 304) return kept;
  if (cache && keepIt && response.ok && !response.redirected && !response.headers.has(FLASH_HEADER)) {
    await store(cache, key, response.clone(), asked);
  }
  return response;
}

// A full phone must not stop a page from showing: keeping it is a bonus. A
// page's ticket is checked right before writing, with nothing to wait for between.
async function store(cache, key, response, asked) {
  if (asked && outdated(asked)) return;
  try { await cache.put(key, response); } catch { /* quota: the network copy still shows */ }
}

// ---- the offline pack --------------------------------------------------------

// Keep one page of the pack: "kept" (and current), "gone" (not a page of the
// signed-in person now: signed out, no longer theirs) or "failed" (no network,
// or the server could not answer now: what was kept stays).
async function keep(url, asked = ticket()) {
  if (outdated(asked)) return "failed";
  try {
    const kept = await keptPage(url);
    const request = new Request(url, { credentials: "same-origin", cache: "no-store",
      headers: { [KEEP_HEADER]: "1" } });
    const response = await settle(await fetch(conditional(request, kept)), url, kept, true, asked);
    if (response.status >= 500) return "failed";
    // A redirect means "signed out": never keep the sign-in page as a profile page.
    return response.ok && !response.redirected ? "kept" : "gone";
  } catch {
    return "failed";
  }
}

// A few at a time: a cheap phone on a weak network should not choke.
async function inBatches(items, work, stop = () => false) {
  const results = [];
  for (let i = 0; i < items.length && !stop(); i += 4) {
    results.push(...(await Promise.all(items.slice(i, i + 4).map(work))));
  }
  return results;
}

// Keep every page of a pack. The pack says each page's tag (the ETag it answers
// with now): a kept copy with that tag is current, and only the others are asked
// for, so a refresh with nothing changed asks for no page at all. A newer refresh
// outdates this one: it stops, and keeps nothing more (the newer one goes on).
async function cachePages({ urls = [], tags = {}, start, home }) {
  const own = urls.map((url) => new URL(url, self.location.origin))
    .filter((url) => url.origin === self.location.origin);
  packs += 1;
  const asked = ticket();
  const current = async (url) => {
    const tag = tags[url.pathname + url.search];
    const kept = tag && (await keptPage(url.href));
    return kept && kept.headers.get("ETag") === tag ? "kept" : keep(url.href, asked);
  };
  const results = await inBatches(own, current, () => outdated(asked));
  // Only the newest refresh, having reached every page, may drop any: offline,
  // or signed out half-way, everything kept stays.
  if (results.length < own.length || results.some((r) => r !== "kept") || outdated(asked)) return false;
  await dropUnlisted(own);
  await keepStart(start, home, own, asked);
  return true;
}

// The app starts at "/" (the manifest's start URL only adds a query), which
// the server redirects to the person's home. With no network the phone has to
// know that itself: a kept redirect, once the home is kept.
async function keepStart(start, home, own, asked) {
  if (!start || !own.some((url) => url.pathname + url.search === home)) return;
  const origin = self.location.origin;
  await store(await caches.open(PAGES_CACHE), new URL(start, origin).href,
    Response.redirect(new URL(home, origin).href, 303), asked);
}

// The kept pages of the pack's person that it no longer lists (a page an older
// pack listed), and variants with a query: offline, the page without the query
// stands in for them (see standIn).
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
// pack: fetch it once and answer both. A pack of another version (another
// language, a new entry) is a refresh of its own, never merged into one that
// began before: that one's pages may be out of date.
const running = new Map();
function cachePagesOnce(pack) {
  const key = pack.version;
  if (!running.has(key)) {
    const run = cachePages(pack).finally(() => { if (running.get(key) === run) running.delete(key); });
    running.set(key, run);
  }
  return running.get(key);
}

// ---- answering the pages' requests ------------------------------------------

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); });
  });
}

// With no network, what stands in for a page that is not kept: a list's later
// page is its first page; an entry's form is the kept forms page, answered as
// this address's own page (so the address bar and htmx keep the entry's address).
async function standIn(url) {
  if (url.search) {
    const first = await keptPage(url.origin + url.pathname);
    if (first) return first;
  }
  const person = url.pathname.match(ENTRY_FORM)?.[1];
  const forms = person && (await keptPage(url.origin + formsPage(person)));
  if (!forms) return undefined;
  const { status, statusText, headers } = forms;
  return new Response(forms.body, { status, statusText, headers });
}

// Pages: network first (fresh when possible, and only what changed since the
// kept copy), the kept copy when there is no network. Only the pack's pages are
// kept (a page is kept once a refresh kept it); an entry's form never is.
async function page(request, url, later) {
  const key = url.origin + url.pathname + url.search;
  // An htmx fragment is not a page: never store it under the page's URL.
  const fragment = request.headers.get("HX-Request") && !request.headers.get("HX-Boosted");
  const asked = ticket();
  const kept = fragment ? undefined : await keptPage(key);
  let response;
  try {
    response = await withTimeout(fetch(conditional(request, kept)), NETWORK_TIMEOUT_MS);
  } catch (error) {
    const copy = kept || (!fragment && (await standIn(url)));
    if (copy) return copy;
    if (request.mode === "navigate" || request.headers.get("HX-Boosted")) {
      // The person's own "no connection" page if we keep one, else the shell's (nobody's).
      const offline = (await keptPage("/offline"))
        || (await caches.match("/offline", { cacheName: SHELL_CACHE, ignoreVary: true }));
      if (offline) return offline;
    }
    throw error;
  }
  const keepIt = Boolean(kept);
  const shown = await settle(response, key, kept, keepIt, asked);
  // A page with a message is shown once and not kept (a kept copy would say
  // "Saved." each time it is opened offline): keep one without it instead.
  if (keepIt && shown.ok && shown.headers.has(FLASH_HEADER)) later(keep(key));
  return shown;
}

// Fingerprinted assets never change under the same URL: cache first. Module
// imports ("./outbox.js") carry no version query: the copy this build keeps
// is the right one, also with no network.
async function asset(request) {
  const unversioned = !new URL(request.url).search;
  const kept = await caches.match(request, { ignoreVary: true, ignoreSearch: unversioned });
  if (kept) return kept;
  try {
    const response = await fetch(request);
    if (response.ok) store(await caches.open(SHELL_CACHE), request, response.clone());
    return response;
  } catch (error) {
    // Offline, a page an older build kept asks for its own version: this one will do.
    const any = await caches.match(request, { ignoreVary: true, ignoreSearch: true });
    if (any) return any;
    throw error;
  }
}

// The manifest speaks the person's language: asked for again when it changed
// (a 304 when not), else the copy the shell keeps, so an installed app started
// offline finds it.
async function manifest(request) {
  const kept = await caches.match(request, { cacheName: SHELL_CACHE, ignoreVary: true });
  try {
    const response = await withTimeout(fetch(conditional(request, kept)), NETWORK_TIMEOUT_MS);
    if (kept && response.status === 304) return kept;
    if (response.ok) store(await caches.open(SHELL_CACHE), request, response.clone());
    return response;
  } catch (error) {
    if (kept) return kept;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/sync/") || url.pathname === "/sw.js") return;
  // Recordings for read-aloud are kept like the app's own files (static/js/readaloud.js).
  if (url.pathname.startsWith("/static/") || url.pathname.startsWith("/audio/")) {
    event.respondWith(asset(request));
    return;
  }
  if (request.destination === "manifest") {
    event.respondWith(manifest(request));
    return;
  }
  if (PREVIEW.test(url.pathname)) {
    event.respondWith(preview(request));
    return;
  }
  if (request.mode === "navigate" || request.headers.get("HX-Request")) {
    event.respondWith(page(request, url, (promise) => event.waitUntil(promise)));
  }
});
