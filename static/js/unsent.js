// The changes this phone has not sent yet, shown where the person looks for
// them: the header's counter, the profile's start, a section's list, an
// entry's form and the outbox page. The person thinks in entries, not in
// operations: an entry edited twice is one thing that waits, in its latest state.
import { formatMoment } from "./dates.js";
import { setValues } from "./forms.js";
import { allOps, discard, getMeta } from "./outbox.js";
import { t } from "./text.js";

// The outbox by entry: its changes (oldest first), the latest one, and a
// refusal by the server, which needs the person before anything else.
export function entriesOf(ops) {
  const changes = new Map();
  for (const op of ops) changes.set(op.record_id, [...(changes.get(op.record_id) || []), op]);
  return [...changes.values()].map((list) => ({
    changes: list,
    latest: list[list.length - 1],
    refused: list.find((op) => op.status === "rejected"),
  }));
}

const deleting = (entry) => entry.latest.action === "delete" && !entry.refused;

// Discarding an entry's item discards all its unsent changes: a later one
// alone would build on a change that is gone.
const discardEntry = (entry) => discard(...entry.changes.map((op) => op.op_id));

export async function render(userId) {
  const ops = (await allOps()).filter((op) => op.user_id === userId);
  const entries = entriesOf(ops);
  showCounter(entries);
  markSections(entries);
  markEntries(entries);
  fillFormFromOutbox(ops);
  renderOutboxPage(entries);
  const signin = document.getElementById("tk-signin-needed");
  if (signin) signin.hidden = !(await getMeta("needs_signin")) || !ops.some((op) => op.status === "pending");
}

function showCounter(entries) {
  const counter = document.getElementById("tk-pending");
  if (!counter) return;
  const refused = entries.filter((entry) => entry.refused).length;
  counter.hidden = entries.length === 0;
  counter.textContent = refused
    ? t("%(count)s changes need your attention", { count: refused })
    : t("%(count)s changes not sent yet", { count: entries.length });
}

function badge(text, kind) {
  const span = document.createElement("span");
  span.className = `badge badge--${kind}`;
  span.textContent = text;
  return span;
}

function statusBadge(entry) {
  if (entry.refused) return badge(t("Not accepted: %(reason)s", { reason: entry.refused.message }), "questioned");
  return badge(deleting(entry) ? t("Will be deleted when sent") : t("Saved on this phone, not yet sent"), "pending");
}

// The entries of a list (a section, or the profile's sections) that it shows.
function shownIn(list, entries, slugs) {
  return entries.filter((entry) => entry.latest.person_id === list.dataset.person
    && slugs.includes(entry.latest.slug));
}

// ---- the profile's start -------------------------------------------------------

// Each section counts the entries made on this phone too (not those deleted
// here), and says how many of its entries wait to be sent.
function markSections(entries) {
  const list = document.querySelector("[data-sections]");
  if (!list) return;
  list.querySelectorAll("[data-local-badge]").forEach((el) => el.remove());
  for (const row of list.querySelectorAll("[data-slugs]")) {
    const slugs = row.dataset.slugs.split(" ");
    const waiting = shownIn(list, entries, slugs);
    countEntries(row, waiting.filter((entry) => entry.latest.slug === slugs[0]));
    const notFilled = row.querySelector("[data-not-filled]");
    if (notFilled) notFilled.hidden = waiting.length > 0;
    if (!waiting.length) continue;
    const mark = badge(t("%(count)s changes not sent yet", { count: waiting.length }), "pending");
    mark.dataset.localBadge = "";
    row.querySelector("a").append(mark);
  }
}

// No list of the server's entries is needed (a page must not grow with them): an
// entry whose first unsent change has no base revision is new on this phone, and
// a delete of one the server has takes one off.
function countEntries(row, entries) {
  const count = row.querySelector("[data-count]");
  if (!count) return;
  count.dataset.server ??= count.textContent;
  const onServer = Number(row.dataset.total);
  let total = onServer;
  for (const entry of entries) {
    const made = entry.changes[0].base_revision === 0 && !entry.changes[0].after;
    if (made && !deleting(entry)) total += 1;
    if (!made && deleting(entry)) total -= 1;
  }
  // The server's own words when the number is its number.
  count.textContent = total === onServer ? count.dataset.server : t("%(count)s entries", { count: total });
}

// ---- a section's list ------------------------------------------------------------

function markEntries(entries) {
  const list = document.querySelector("[data-entries]");
  if (!list) return;
  list.querySelectorAll(".entry--local, [data-local-badge]").forEach((el) => el.remove());
  list.querySelectorAll(".entry--deleting").forEach((el) => el.classList.remove("entry--deleting"));
  list.querySelectorAll("form[data-queue]").forEach((form) => { delete form.dataset.queue; });
  const template = document.getElementById("tk-local-entry");
  for (const entry of shownIn(list, entries, list.dataset.slugs.split(" "))) {
    const shown = document.getElementById(`entry-${entry.latest.record_id}`);
    if (shown) markShown(shown, entry);
    else if (template && entry.latest.action !== "delete") list.append(localItem(template, entry));
  }
  const empty = document.querySelector("[data-empty]");
  if (empty) empty.hidden = list.children.length > 0;
}

function markShown(element, entry) {
  const holder = document.createElement("p");
  holder.dataset.localBadge = "";
  holder.append(statusBadge(entry));
  element.prepend(holder);
  element.classList.toggle("entry--deleting", deleting(entry));
  // Its next change (a delete) waits behind these: they reach the server in order.
  element.querySelectorAll("form[data-offline]").forEach((form) => { form.dataset.queue = "yes"; });
}

// An entry the server does not have yet: changed in its form (as a draft),
// or deleted here, which discards it (there is nothing to delete elsewhere).
function localItem(template, entry) {
  const item = template.content.firstElementChild.cloneNode(true);
  item.classList.add("entry--local");
  item.querySelector("[data-title]").textContent = entry.latest.summary || t("New entry");
  item.querySelector("[data-status]").append(statusBadge(entry));
  item.querySelector("[data-edit]").href = fixUrl(entry.latest);
  const remove = item.querySelector("[data-delete]");
  remove?.addEventListener("click", () => { if (confirm(remove.dataset.confirm)) discardEntry(entry); });
  return item;
}

// Where to change an unsent entry: its own form, or the "new" form as a draft.
function fixUrl(op) {
  return op.from_new_form ? `${op.form_url}?draft=${encodeURIComponent(op.op_id)}` : op.form_url;
}

// ---- an entry's form -----------------------------------------------------------

// A form opened for an entry with unsent changes shows those changes, and a
// refused change comes back with the server's reasons next to its fields. (Offline,
// forms.js has put the entry's form in place first.)
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
  setValues(form, op.fields);
  if (op.status === "rejected") {
    showErrors(form, t("The server did not accept this change"), op.message, op.errors);
  }
}

// Problems shown as the server shows them (an error summary with a link to each field,
// the message at its field), for a refusal by the server or a form checked on the
// phone; those of an earlier try go first.
export function showErrors(form, title, message, errors = {}) {
  document.querySelectorAll("[data-local-error]").forEach((el) => el.remove());
  form.querySelectorAll(".field--error").forEach((el) => el.classList.remove("field--error"));
  form.querySelectorAll("[aria-invalid]").forEach((el) => {
    el.removeAttribute("aria-invalid");
    el.removeAttribute("aria-describedby");
  });
  const summary = document.createElement("div");
  summary.className = "error-summary";
  summary.tabIndex = -1;
  summary.dataset.localError = "";
  const heading = document.createElement("h2");
  heading.textContent = title;
  summary.append(heading);
  if (message) {
    const reason = document.createElement("p");
    reason.textContent = message;
    summary.append(reason);
  }
  const links = document.createElement("ul");
  for (const [name, text] of Object.entries(errors)) {
    const control = document.getElementById(`f-${name}`);
    const field = control?.closest(".field") || control;
    if (!field) continue;
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `#f-${name}`;
    link.textContent = text;
    item.append(link);
    links.append(item);
    field.classList.add("field--error");
    const error = document.createElement("p");
    error.className = "field-error";
    error.id = `f-${name}-error`;
    error.dataset.localError = "";
    error.textContent = text;
    field.querySelector(".field-label")?.after(error);
    control.setAttribute("aria-describedby", error.id);
    control.setAttribute("aria-invalid", "true");
  }
  if (links.children.length) summary.append(links);
  form.before(summary);
  summary.focus();
}

// ---- the outbox page -------------------------------------------------------------

// One item per entry, with fix, discard, and when it was last changed.
function renderOutboxPage(entries) {
  const holder = document.getElementById("tk-outbox");
  if (!holder) return;
  const moment = JSON.parse(holder.dataset.moment || "null");
  holder.replaceChildren(...entries.map((entry) => outboxItem(entry, moment)));
  const empty = document.getElementById("tk-outbox-empty");
  if (empty) empty.hidden = entries.length > 0;
}

function outboxItem(entry, moment) {
  const { latest } = entry;
  const item = document.getElementById("tk-outbox-item").content.firstElementChild.cloneNode(true);
  item.querySelector("[data-title]").textContent = latest.summary || t("New entry");
  item.querySelector("[data-when]").textContent = formatMoment(latest.made_at, moment);
  item.querySelector("[data-status]").append(statusBadge(entry));
  const fix = item.querySelector("[data-fix]");
  if (latest.action === "put" && latest.form_url) fix.href = fixUrl(latest);
  else fix.remove();
  item.querySelector("[data-discard]").addEventListener("click", async () => {
    if (confirm(t("Discard this change? It cannot be brought back."))) await discardEntry(entry);
  });
  return item;
}
