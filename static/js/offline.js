// Offline-first behaviour of the pages: keep working without a network.
// - registers the service worker (pages and assets kept on the phone);
// - when a profile form cannot reach the server, the change goes to the
//   outbox instead of being lost, and the page shows it as "not yet sent";
// - sends the outbox on start, when the network returns, after each save and
//   every minute while the app is open (Background Sync is not everywhere);
// - signs out only after the outbox is empty, or with the person's consent;
// - keeps the person's profile on the phone: a few pages (the "offline pack",
//   kept by the service worker) and their entries as data (records.js), from
//   which forms.js fills in an entry's form offline;
// - says where the person stands: offline, and the profile kept on the phone
//   (what waits to be sent is shown by unsent.js).
import { problems } from "./checks.js";
import { showKeptForm } from "./forms.js";
import { allOps, discard, enqueue, forgetUser, getMeta, newId, setMeta, signUnsigned, syncNow } from "./outbox.js";
import { cursorOf } from "./records.js";
import { context, t } from "./text.js";
import { entriesOf, render as renderUnsent, showErrors } from "./unsent.js";

let userId = "";
let personId = "";
function readContext() {
  userId = context().user || "";
  personId = context().person || "";
}
readContext();

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const render = () => renderUnsent(userId);

// ---- the service worker ------------------------------------------------

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  // The first worker takes over the pages open when it starts, not one that
  // was still loading then (a language switch at once): that one asks, or its
  // links would need the network.
  navigator.serviceWorker.ready.then((ready) => {
    if (!navigator.serviceWorker.controller) ready.active?.postMessage({ type: "claim" });
  });
  const offerUpdate = () => {
    if (registration.waiting && navigator.serviceWorker.controller) show("tk-update");
  };
  offerUpdate();
  registration.addEventListener("updatefound", () => {
    registration.installing?.addEventListener("statechange", offerUpdate);
  });
  // A new version takes over only when the person agrees (no old page left
  // half-working); the outbox lives in IndexedDB and survives the switch.
  document.getElementById("tk-update-button")?.addEventListener("click", () => {
    registration.waiting?.postMessage({ type: "skip-waiting" });
  });
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!reloading && registration.active && document.getElementById("tk-update")?.hidden === false) {
      reloading = true;
      location.reload();
    }
  });
}

function show(id) {
  const el = document.getElementById(id);
  if (el) el.hidden = false;
}

// A status speaks when its text changes: shown first, then filled a moment
// later, so a screen reader hears the news (hidden, it is in no one's way).
function speak(region, news) {
  region.hidden = news.length === 0;
  setTimeout(() => region.replaceChildren(...news));
}

function say(id) {
  const region = document.getElementById(id);
  const template = region?.querySelector("template");
  if (template) speak(region, [template.content.cloneNode(true)]);
}

// With no network every page says so, in words, in its header.
function showNetwork() {
  const region = document.getElementById("tk-network");
  if (!region || region.hidden === navigator.onLine) return; // nothing new to say
  const text = document.createElement("span");
  text.textContent = t("No internet");
  speak(region, navigator.onLine ? [] : [text]);
}

// Ask the worker to keep (or refresh) every page of the profile offline. It
// asks the server only for pages that changed; once it reports every page
// kept, the pack's version is noted, so the next page load knows it is there;
// the first time, the person is told. Returns when the worker has the list: a
// sync must not wait for the pages.
async function refreshPack() {
  const key = `pack:${personId}`;
  try {
    const response = await fetch(`/sync/pack?person=${encodeURIComponent(personId)}`, {
      credentials: "same-origin", headers: { "X-Talentkaart-Sync": "1" } });
    if (!response.ok) return;
    const pack = await response.json();
    const ready = await navigator.serviceWorker.ready;
    const channel = new MessageChannel();
    channel.port1.onmessage = async (event) => {
      if (!event.data?.kept) return;
      const first = !(await getMeta(key));
      await setMeta(key, { version: pack.version, stamp: pack.stamp, seq: pack.seq, at: Date.now() });
      if (first) say("tk-pack-ready");
    };
    ready.active?.postMessage({ type: "cache-pages", ...pack }, [channel.port2]);
  } catch { /* offline: the pages kept earlier stay */ }
}

// Refresh the kept pages when they may have changed: this page carries another
// stamp (another language, a new session or version: see pack_stamp on the
// server), the person's entries went past the kept pack's change number (this
// page shows a newer one, or the pull brought one: a saved entry, a coach's
// comment), or once a day for what neither sees (today's work advice).
async function refreshPackIfChanged() {
  if (!personId || context().pack !== "yes" || !navigator.onLine || !("serviceWorker" in navigator)) return;
  const kept = await getMeta(`pack:${personId}`);
  const seq = Math.max(Number(context().seq || 0), await cursorOf(personId));
  if (kept?.stamp !== context().packVersion || !(seq <= kept.seq) || !(Date.now() - kept.at < 86_400_000)) {
    await refreshPack();
  }
}

// ---- turning a form into an operation ------------------------------------

function operationFrom(form) {
  const data = new FormData(form);
  const fields = {};
  for (const [name, wire] of JSON.parse(form.dataset.fields || "[]")) {
    if (wire === "list") fields[name] = data.getAll(name);
    else if (wire === "bool") fields[name] = data.get(name) === "yes";
    else fields[name] = data.get(name) ?? "";
  }
  return {
    op_id: data.get("op_id"),
    user_id: userId,
    person_id: form.dataset.person,
    record_type: form.dataset.recordType,
    record_id: data.get("record_id") || form.dataset.recordId,
    slug: form.dataset.slug,
    action: form.dataset.action || "put",
    base_revision: Number(data.get("base_revision") || 0),
    fields: form.dataset.action === "delete" ? {} : fields,
    summary: summaryOf(form),
    return_to: form.dataset.returnTo,
    form_url: new URL(form.action, location.href).pathname,
    from_new_form: form.dataset.new === "yes",
    replaces: form.dataset.replaces || null,
  };
}

// What the person would call this entry: the chosen label, not the code.
function summaryOf(form) {
  if (form.dataset.summary) return form.dataset.summary;
  const card = form.closest(".entry")?.querySelector(".entry-title");
  if (card) return card.textContent.trim();
  for (const name of (form.dataset.titleFields || "").split(" ").filter(Boolean)) {
    const checked = form.querySelector(`input[name="${name}"]:checked`);
    if (checked) return checked.closest("label")?.textContent.trim() || checked.value;
    const select = form.querySelector(`select[name="${name}"]`);
    if (select?.value) return select.selectedOptions[0].textContent.trim();
    const input = form.querySelector(
      `input[name="${name}"]:not([type=radio]):not([type=checkbox]), textarea[name="${name}"]`);
    if (input?.value.trim()) return input.value.trim();
  }
  return t("New entry");
}

async function keepOffline(form) {
  // What the server would refuse is said now, not days later when it arrives.
  const found = problems(form);
  if (Object.keys(found).length) {
    showErrors(form, t("There is a problem"), "", found);
    return;
  }
  if (form.dataset.confirm && !confirm(form.dataset.confirm)) return;
  const op = operationFrom(form);
  if (op.replaces) await discard(op.replaces);
  await enqueue(op);
  // Online, give the send a moment before the page changes; it is retried anyway.
  if (navigator.onLine) await Promise.race([sync(), delay(3000)]);
  location.assign(op.return_to || location.href);
}

// Offline, or when this entry already has unsent changes (which must reach
// the server first, in order), the form goes to the outbox, not the network.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-offline]")) return;
  if (navigator.onLine && !form.dataset.queue && !form.dataset.replaces) return;
  event.preventDefault();
  event.stopImmediatePropagation(); // before htmx sends it into the void
  keepOffline(form);
}, true);

// Online, but the request died on the way (weak signal): same operation id,
// so if it did reach the server, sending it again changes nothing.
document.addEventListener("htmx:sendError", (event) => {
  const form = event.detail.elt?.closest?.("form[data-offline]");
  if (form) keepOffline(form);
});

// Fresh ids for every form shown: a page kept offline is shown many times,
// and each submission must be its own operation.
function freshIds(root = document) {
  for (const form of root.querySelectorAll("form[data-offline]")) {
    const op = form.querySelector('input[name="op_id"]');
    if (op) op.value = newId();
    const record = form.querySelector('input[name="record_id"]');
    if (record && form.dataset.new === "yes" && !form.dataset.draft) record.value = newId();
  }
}

// ---- the outbox page's file ------------------------------------------------

async function saveAsFile() {
  // Signed changes can be uploaded by a volunteer or coach in this person's name.
  await signUnsigned(userId);
  const ops = (await allOps()).filter((o) => o.user_id === userId);
  const file = { format: "talentkaart-outbox", version: 1, user_id: userId,
    device_id: await getMeta("device_id"), saved_at: new Date().toISOString(), operations: ops };
  const url = URL.createObjectURL(new Blob([JSON.stringify(file, null, 1)], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = `talentkaart-${new Date().toISOString().slice(0, 10)}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---- syncing ------------------------------------------------------------------

let syncing = false;
// `shown`: the change this page shows, when it shows the person's entries and was
// just drawn (or confirmed) by the server: then the pull can wait if the phone has it.
async function sync({ shown } = {}) {
  if (syncing || !userId || !navigator.onLine) return;
  syncing = true;
  try {
    // null: another tab is syncing right now.
    const summary = await syncNow({ userId, personId, keep: context().pack === "yes", shownSeq: shown });
    if (summary?.signin) return;
    await refreshPackIfChanged();
    // Show coaches' comments and verifications that just arrived (news for this
    // page), unless the person is in the middle of filling in a form.
    const seq = context().seq;
    const news = summary && summary.pulled > 0 && (seq ? summary.cursor > Number(seq) : !summary.first);
    if (news && !document.querySelector("form[data-offline]:not([data-action])")) location.reload();
  } finally {
    syncing = false;
    render();
  }
}

// ---- signing out, storage, install ----------------------------------------------

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches("form[data-sign-out]") || form.dataset.confirmed) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  // Send directly, without refreshing the offline pages: a page fetched while
  // the sign-out is on its way would bring a session cookie back with it.
  while (syncing) await delay(100);
  if (navigator.onLine) await syncNow({ userId, personId });
  const left = entriesOf((await allOps()).filter((o) => o.user_id === userId));
  const finish = async () => {
    await forgetUser(userId);
    const ready = navigator.serviceWorker && (await navigator.serviceWorker.getRegistration());
    ready?.active?.postMessage({ type: "clear-pages" });
    for (const key of await caches.keys()) if (key.startsWith("pages-")) await caches.delete(key);
    form.dataset.confirmed = "yes";
    form.submit();
  };
  if (!left.length) return finish();
  const dialog = document.getElementById("tk-signout-dialog");
  dialog.querySelector("[data-count]").textContent = t("%(count)s changes not sent yet", { count: left.length });
  dialog.showModal();
  dialog.addEventListener("close", () => {
    // Keeping them is the only choice offered: they stay here, tied to this
    // person, and are sent when they sign in again.
    if (dialog.returnValue === "keep") {
      form.dataset.confirmed = "yes";
      form.submit();
    }
  }, { once: true });
}, true);

async function checkStorage() {
  const notice = document.getElementById("tk-storage");
  if (!notice || !navigator.storage?.persist) return;
  const persisted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
  notice.hidden = persisted || matchMedia("(display-mode: standalone)").matches;
}

let installPrompt = null;
addEventListener("beforeinstallprompt", (event) => {
  event.preventDefault();
  installPrompt = event;
  show("tk-install");
});
document.getElementById("tk-install-button")?.addEventListener("click", async () => {
  if (!installPrompt) return;
  installPrompt.prompt();
  await installPrompt.userChoice;
  installPrompt = null;
  document.getElementById("tk-install").hidden = true;
});

// ---- start ----------------------------------------------------------------------

// On the document: htmx brings the outbox page in without running this module again.
document.addEventListener("click", (event) => { if (event.target.closest?.("#tk-save-file")) saveAsFile(); });
document.addEventListener("outbox:changed", render);
addEventListener("online", () => { showNetwork(); sync(); });
addEventListener("offline", () => { showNetwork(); render(); });
document.addEventListener("visibilitychange", () => { if (!document.hidden) sync(); });
// The page's forms: the kept one this address asks for first (offline), then fresh ids,
// then what this phone has not sent yet.
const showPage = () => showKeptForm(userId).catch(() => {}).then(() => { freshIds(); render(); });
// A page the server just drew says which change of the person it shows (if any).
const shownSeq = () => (context().seq ? Number(context().seq) : undefined);
document.addEventListener("htmx:afterSettle", () => {
  readContext(); showNetwork(); showPage(); sync({ shown: shownSeq() });
});
setInterval(() => { if (!document.hidden) sync(); }, 60_000);

showNetwork();
showPage();
registerWorker().catch(() => {}).then(() => sync({ shown: shownSeq() }));
checkStorage();
