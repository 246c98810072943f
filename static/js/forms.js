// Adding and changing entries with no network, from one kept page of forms.
//
// The phone keeps /people/<id>/forms: an empty form of each kind of entry, each in a
// <template>, drawn by the same partial as the server's forms. Offline, the service
// worker answers the address of an entry's form with it; this shows the form that
// address asks for: a new entry's (with the query's values, as the server does), or
// an entry's to change, filled in from its data on the phone (records.js) or, for an
// entry the server does not have yet, from its unsent change (unsent.js fills that in).
import { allOps } from "./outbox.js";
import { recordOf, recordsOf } from "./records.js";

// /people/<person>/<slug>/new, or /people/<person>/<slug>/<entry id>.
const FORM_URL = /^\/people\/([^/]+)\/([^/]+)\/([^/]+)$/;

const fieldsOf = (form) => JSON.parse(form.dataset.fields || "[]");

// Show the kept form this address asks for, if the page is the forms page standing in
// for it. What it cannot show (an entry this phone does not have) leaves the page's
// own text: there is no connection.
export async function showKeptForm(userId) {
  const holder = document.getElementById("tk-forms");
  if (!holder || holder.dataset.shown) return;
  holder.dataset.shown = "yes";
  const [, person, slug, entryId] = location.pathname.match(FORM_URL) || [];
  const template = person === holder.dataset.person
    && [...document.querySelectorAll("template[data-slug]")].find((t) => t.dataset.slug === slug);
  if (!template) return;
  const type = template.dataset.recordType;
  const entry = entryId === "new" ? null : await entryOf(person, type, entryId, userId);
  if (entryId !== "new" && !entry) return;
  const content = template.content.cloneNode(true);
  const form = content.querySelector("form[data-offline]");
  await offerEntries(form, JSON.parse(template.dataset.refs || "{}"), person, userId);
  if (entry) {
    // The form the server draws for this entry: its address, id and revision.
    form.action = location.pathname;
    delete form.dataset.new;
    form.querySelector('input[name="record_id"]').value = entry.id;
    form.querySelector('input[name="base_revision"]').value = String(entry.revision);
    setValues(form, Object.fromEntries(fieldsOf(form).map(([name]) => [name, entry.data[name] ?? null])));
    // Changed in two places: the server keeps both versions until the person chooses.
    const note = entry.has_conflict && document.getElementById("tk-conflict-note");
    if (note) form.before(note.content.cloneNode(true));
  } else {
    setValues(form, valuesFrom(new URLSearchParams(location.search), form));
  }
  holder.replaceChildren(content);
  // As if the server had sent it: boosted, and the pickers search as you type.
  window.htmx?.process(holder);
  // Photos and documents: the entry's own (kept here, or as the server has them), and
  // the camera and file buttons.
  // Not awaited: the unsent change is filled in as soon as the form is shown (offline.js).
  if (holder.querySelector("[data-files]")) {
    import("./files.js").then(async (files) => {
      for (const fieldset of holder.querySelectorAll("[data-files]")) {
        await files.drawFiles(fieldset.closest("form"), fieldset.dataset.files, entry?.data[fieldset.dataset.files]);
      }
      files.start();
    }).catch(() => {});
  }
  if (holder.querySelector("[data-voice]")) import("./voice.js").then((voice) => voice.start(holder)).catch(() => {});
  document.title = entry ? template.dataset.titleEdit : template.dataset.titleNew;
}

// The entry as the phone knows it: from the server's data, or, made on this phone and
// not sent yet, its latest change (whose base revision is the one the server knows).
async function entryOf(person, type, id, userId) {
  const record = await recordOf(person, id);
  if (record) return record.deleted || record.type !== type ? null : record;
  const op = (await allOps()).filter((o) => o.record_id === id && o.user_id === userId
    && o.person_id === person && o.record_type === type && o.action === "put").pop();
  return op ? { id, revision: op.base_revision, data: op.fields } : null;
}

// A field naming another entry (a step's goal) offers the person's entries of that
// kind: those on the phone, and those made here and not sent yet.
async function offerEntries(form, refs, person, userId) {
  for (const [name, [type, titleField]] of Object.entries(refs)) {
    const select = form.querySelector(`select[name="${CSS.escape(name)}"]`);
    if (!select) continue;
    const titles = new Map((await recordsOf(person, type)).map((r) => [r.id, r.data[titleField]]));
    for (const op of await allOps()) {
      if (op.user_id === userId && op.person_id === person && op.record_type === type) {
        if (op.action === "delete") titles.delete(op.record_id);
        else if (op.from_new_form || titles.has(op.record_id)) titles.set(op.record_id, op.fields[titleField]);
      }
    }
    const options = [...titles].map(([id, title]) => new Option(title || id, id));
    select.append(...options.sort((a, b) => a.text.localeCompare(b.text)));
  }
}

// The values a query gives a new entry's fields (a step added under a goal).
function valuesFrom(params, form) {
  const values = {};
  for (const [name, wire] of fieldsOf(form)) {
    if (params.has(name)) values[name] = wire === "list" ? params.getAll(name) : params.get(name);
  }
  return values;
}

// Set a form's fields to `values` (by name, each in its kind's wire form: a list, true
// or false, else text), as the server draws a stored value.
export function setValues(form, values) {
  for (const [name, value] of Object.entries(values)) {
    for (const input of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
      if (input.type === "radio" || input.type === "checkbox") {
        input.checked = Array.isArray(value) ? value.includes(input.value)
          : typeof value === "boolean" ? value && input.value === "yes"
            : value !== null && input.value === String(value);
      } else {
        input.value = value ?? "";
        if (input.tagName === "SELECT" && input.selectedIndex < 0) input.value = "";
      }
    }
  }
  // A choice from a long list is in a folded group: unfold it, so it is seen.
  for (const input of form.querySelectorAll("details input:checked")) input.closest("details").open = true;
}
