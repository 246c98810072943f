// Offline-first behaviour of the pages: keep working without a network.
// - registers the service worker (pages and assets kept on the phone);
// - when a profile form cannot reach the server, the change goes to the
//   outbox instead of being lost, and the page shows it as "not yet sent";
// - sends the outbox on start, when the network returns, after each save and
//   every minute while the app is open (Background Sync is not everywhere);
// - signs out only after the outbox is empty, or with the person's consent.
import { allOps, discard, enqueue, forgetUser, getMeta, newId, setMeta, signUnsigned, syncNow } from "./outbox.js";

// htmx swaps the body without reloading this module: read the page's context
// each time instead of once.
const context = () => document.getElementById("tk-context")?.dataset || {};
const strings = () => JSON.parse(context().strings || "{}");
const locale = document.documentElement.lang || "nl";
let userId = "";
let personId = "";
function readContext() {
  userId = context().user || "";
  personId = context().person || "";
}
readContext();

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Translated text from the server; plurals by CLDR category, like gettext.
function t(key, params = {}) {
  let text = strings()[key] ?? key;
  if (typeof text === "object") {
    const rule = new Intl.PluralRules(locale).select(params.count ?? 0);
    text = text[rule] ?? text.other ?? Object.values(text)[0];
  }
  return text.replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ""));
}

// ---- the service worker ------------------------------------------------

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
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

// Ask the worker to keep (or refresh) every page of the profile offline. It
// asks the server only for pages that changed; once it reports every page
// kept, the pack's version is noted, so the next page load knows it is there.
// Returns when the worker has the list: a sync must not wait for the pages.
async function refreshPack() {
  if (!personId || context().pack !== "yes" || !("serviceWorker" in navigator)) return;
  const key = `pack:${personId}`;
  try {
    const response = await fetch(`/sync/pack?person=${encodeURIComponent(personId)}`, {
      credentials: "same-origin", headers: { "X-Talentkaart-Sync": "1" } });
    if (!response.ok) return;
    const pack = await response.json();
    const ready = await navigator.serviceWorker.ready;
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => {
      if (event.data?.kept) setMeta(key, { version: pack.version, at: Date.now() });
    };
    ready.active?.postMessage({ type: "cache-pages", urls: pack.urls }, [channel.port2]);
  } catch { /* offline: the pages kept earlier stay */ }
}

// Refresh the kept pages when this page says they changed (a saved entry, a
// coach's comment, another language, a new version: see pack_version on the
// server) or once a day for what the version does not see.
async function refreshPackIfChanged() {
  if (!personId || !navigator.onLine || !context().packVersion) return;
  const kept = await getMeta(`pack:${personId}`);
  if (kept?.version !== context().packVersion || !(Date.now() - kept.at < 86_400_000)) await refreshPack();
}

// ---- turning a form into an operation ------------------------------------

function operationFrom(form) {
  const data = new FormData(form);
  const fields = {};
  for (const [name, kind] of JSON.parse(form.dataset.fields || "[]")) {
    if (kind === "multi") fields[name] = data.getAll(name);
    else if (kind === "bool") fields[name] = data.get(name) === "yes";
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

// ---- showing pending and refused changes ----------------------------------

async function render() {
  const ops = (await allOps()).filter((o) => o.user_id === userId);
  const pending = ops.filter((o) => o.status === "pending");
  const rejected = ops.filter((o) => o.status === "rejected");
  const counter = document.getElementById("tk-pending");
  if (counter) {
    counter.hidden = ops.length === 0;
    counter.textContent = rejected.length
      ? t("%(count)s changes need your attention", { count: rejected.length })
      : t("%(count)s changes not sent yet", { count: pending.length });
  }
  const list = document.querySelector("[data-entries]");
  if (list) {
    const slugs = list.dataset.slugs.split(" ");
    markEntries(list, ops.filter((o) => o.person_id === list.dataset.person && slugs.includes(o.slug)));
  }
  fillFormFromOutbox(ops);
  renderOutboxPage(ops);
  const signin = document.getElementById("tk-signin-needed");
  if (signin) signin.hidden = !(await getMeta("needs_signin")) || !pending.length;
}

function badge(text, kind) {
  const span = document.createElement("span");
  span.className = `badge badge--${kind}`;
  span.textContent = text;
  return span;
}

function markEntries(list, ops) {
  list.querySelectorAll(".entry--local").forEach((el) => el.remove());
  list.querySelectorAll("[data-local-badge]").forEach((el) => el.remove());
  const template = document.getElementById("tk-local-entry");
  for (const op of ops) {
    const refused = op.status === "rejected";
    const text = refused ? t("Not accepted: %(reason)s", { reason: op.message })
      : op.action === "delete" ? t("Will be deleted when sent") : t("Saved on this phone, not yet sent");
    const existing = document.getElementById(`entry-${op.record_id}`);
    if (existing) {
      const holder = document.createElement("p");
      holder.dataset.localBadge = "";
      holder.append(badge(text, refused ? "questioned" : "pending"));
      existing.prepend(holder);
      existing.classList.toggle("entry--deleting", op.action === "delete" && !refused);
      existing.querySelectorAll("form[data-offline]").forEach((f) => { f.dataset.queue = "yes"; });
    } else if (template && op.action !== "delete") {
      const item = template.content.firstElementChild.cloneNode(true);
      item.classList.add("entry--local");
      item.querySelector("[data-title]").textContent = op.summary || t("New entry");
      item.querySelector("[data-status]").append(badge(text, refused ? "questioned" : "pending"));
      item.querySelector("[data-edit]").href = fixUrl(op);
      list.append(item);
    }
  }
  const empty = document.querySelector("[data-empty]");
  if (empty) empty.hidden = list.children.length > 0;
}

// A form opened for an entry with unsent changes shows those changes, and a
// refused change comes back with the server's reasons next to its fields.
function fillFormFromOutbox(ops) {
  const form = document.querySelector("form[data-offline]:not([data-action])");
  if (!form || form.dataset.filled) return;
  const params = new URLSearchParams(location.search);
  const draftId = params.get("draft");
  const recordId = form.querySelector('input[name="record_id"]')?.value;
  const op = draftId ? ops.find((o) => o.op_id === draftId)
    : ops.filter((o) => o.record_id === recordId && o.action === "put").pop();
  if (!op) return;
  form.dataset.filled = "yes";
  if (draftId) {
    form.dataset.draft = "yes";
    form.querySelector('input[name="record_id"]').value = op.record_id;
  }
  if (op.status === "rejected" || (draftId && op.status === "pending")) form.dataset.replaces = op.op_id;
  else form.dataset.queue = "yes";
  for (const [name, value] of Object.entries(op.fields)) {
    for (const input of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
      if (input.type === "radio" || input.type === "checkbox") {
        input.checked = Array.isArray(value) ? value.includes(input.value) : value === true ? input.value === "yes" : input.value === value;
      } else {
        input.value = value ?? "";
      }
    }
  }
  if (op.status === "rejected") showErrors(form, op);
}

function showErrors(form, op) {
  const summary = document.createElement("div");
  summary.className = "error-summary";
  summary.tabIndex = -1;
  const heading = document.createElement("h2");
  heading.textContent = t("The server did not accept this change");
  const reason = document.createElement("p");
  reason.textContent = op.message || "";
  summary.append(heading, reason);
  form.before(summary);
  for (const [name, message] of Object.entries(op.errors || {})) {
    const field = document.getElementById(`f-${name}`)?.closest(".field") || document.getElementById(`f-${name}`);
    if (!field) continue;
    field.classList.add("field--error");
    const error = document.createElement("p");
    error.className = "field-error";
    error.id = `f-${name}-error`;
    error.textContent = message;
    field.querySelector(".field-label")?.after(error);
    const control = document.getElementById(`f-${name}`);
    control?.setAttribute("aria-describedby", error.id);
    control?.setAttribute("aria-invalid", "true");
  }
  summary.focus();
}

// The outbox page: every unsent change, with fix, discard and save-as-file.
// Where to change an unsent entry: its own form, or the "new" form as a draft.
function fixUrl(op) {
  return op.from_new_form ? `${op.form_url}?draft=${encodeURIComponent(op.op_id)}` : op.form_url;
}

function renderOutboxPage(ops) {
  const holder = document.getElementById("tk-outbox");
  if (!holder) return;
  holder.replaceChildren();
  const template = document.getElementById("tk-outbox-item");
  for (const op of ops) {
    const item = template.content.firstElementChild.cloneNode(true);
    item.querySelector("[data-title]").textContent = op.summary || t("New entry");
    item.querySelector("[data-when]").textContent = new Date(op.made_at).toLocaleString(locale);
    const refused = op.status === "rejected";
    item.querySelector("[data-status]").append(badge(refused
      ? t("Not accepted: %(reason)s", { reason: op.message })
      : t("Saved on this phone, not yet sent"), refused ? "questioned" : "pending"));
    const fix = item.querySelector("[data-fix]");
    if (op.action === "put" && op.form_url) fix.href = fixUrl(op);
    else fix.remove();
    item.querySelector("[data-discard]").addEventListener("click", async () => {
      if (confirm(t("Discard this change? It cannot be brought back."))) await discard(op.op_id);
    });
    holder.append(item);
  }
  const empty = document.getElementById("tk-outbox-empty");
  if (empty) empty.hidden = ops.length > 0;
}

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
async function sync() {
  if (syncing || !userId || !navigator.onLine) return;
  syncing = true;
  try {
    const summary = await syncNow({ userId, personId });
    if (summary && (summary.applied || summary.pulled)) {
      await refreshPack();
      // Show coaches' comments and verifications that just arrived, unless the
      // person is in the middle of filling in a form.
      if (summary.pulled && !document.querySelector("form[data-offline]:not([data-action])")) {
        location.reload();
      }
    }
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
  const left = (await allOps()).filter((o) => o.user_id === userId);
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

document.getElementById("tk-save-file")?.addEventListener("click", saveAsFile);
document.addEventListener("outbox:changed", render);
addEventListener("online", sync);
addEventListener("offline", render);
document.addEventListener("visibilitychange", () => { if (!document.hidden) sync(); });
document.addEventListener("htmx:afterSettle", () => { readContext(); freshIds(); render(); refreshPackIfChanged(); });
setInterval(() => { if (!document.hidden) sync(); }, 60_000);

freshIds();
registerWorker().then(refreshPackIfChanged);
render();
sync();
checkStorage();
