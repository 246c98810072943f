// Photos and documents of an entry, kept on the phone until the server has them.
//
// A photo is made smaller here first (at most 1600 px on its longest side, about
// 300 kB, drawn upright), then named by the SHA-256 of its bytes and kept in
// IndexedDB ("files") with the person it belongs to. The form carries only the names
// (a ticked box per file), so an entry and its files travel apart: the entry through
// the outbox, each file in chunks (sendFiles, run by the sync runner) that resume where
// a dropped connection left them. The server checks the hash before it names the file;
// only when it says "complete" is the phone's copy let go.
import { done, request } from "./db.js";
import { HEADERS, openDb } from "./outbox.js";
import { context, t } from "./text.js";

const LONGEST_SIDE = 1600;
const SMALL_ENOUGH = 300 * 1024;
const CHUNK = 256 * 1024; // as sync/files.py CHUNK_BYTES

const hex = (buffer) => [...new Uint8Array(buffer)].map((x) => x.toString(16).padStart(2, "0")).join("");

async function store(mode = "readonly") {
  const db = await openDb();
  const tx = db.transaction("files", mode);
  return { tx, files: tx.objectStore("files") };
}

export async function keptFile(id) {
  const { files } = await store();
  return request(files.get(id));
}

async function allFiles() {
  const { files } = await store();
  return request(files.getAll());
}

async function putFile(file) {
  const { tx, files } = await store("readwrite");
  files.put(file);
  return done(tx);
}

async function forgetFile(id) {
  const { tx, files } = await store("readwrite");
  files.delete(id);
  return done(tx);
}

// Keep bytes on the phone, named by their SHA-256, for the person they belong to (a
// voice answer also says how long it is and in which language it was spoken).
export async function keep(blob, { person, name, seconds = null, language = null }) {
  const id = hex(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
  const file = (await keptFile(id)) || {
    id, blob, name, size: blob.size, seconds, language, state: "waiting", message: null,
    person_id: person, user_id: context().user, added_at: new Date().toISOString(),
  };
  await putFile(file);
  return file;
}

// ---- making a photo small, upright and without its metadata ---------------------

const toBlob = (canvas, quality) => new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));

// Drawn anew on a canvas: upright (the phone's orientation tag applied), at most
// LONGEST_SIDE, and as JPEG at the best quality that fits SMALL_ENOUGH (text on a
// diploma stays readable: never below 0.5, never smaller than 1000 px). A picture the
// browser cannot draw (HEIC on some phones) is kept as it is: the server says whether
// it can take it.
async function smaller(file) {
  if (!file.type.startsWith("image/")) return file;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return file;
  }
  let side = Math.min(LONGEST_SIDE, Math.max(bitmap.width, bitmap.height));
  let best = null;
  for (;;) {
    const scale = side / Math.max(bitmap.width, bitmap.height);
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    for (const quality of [0.85, 0.75, 0.65, 0.5]) {
      best = await toBlob(canvas, quality);
      if (best && best.size <= SMALL_ENOUGH) return best;
    }
    if (side <= 1000) return best || file;
    side = Math.max(1000, Math.round(side * 0.8));
  }
}

// ---- the form's list of files ------------------------------------------------------

const STATES = {
  sent: () => t("Sent"),
  waiting: () => t("Saved on this phone, not yet sent"),
  refused: (file) => t("Not accepted: %(reason)s", { reason: file.message }),
};

function showKept(item, file) {
  const thumb = item.querySelector("[data-file-thumb]");
  if (thumb && file.blob.type.startsWith("image/")) {
    const img = document.createElement("img");
    img.className = "file-thumb";
    img.alt = "";
    img.width = 64;
    img.height = 64;
    img.src = URL.createObjectURL(file.blob);
    thumb.replaceWith(img);
  }
  const name = item.querySelector("[data-file-name]");
  if (name && !name.textContent) name.textContent = file.name;
  const state = item.querySelector("[data-file-state]");
  if (state) state.textContent = STATES[file.state](file);
}

function addChoice(fieldset, id) {
  const list = fieldset.querySelector("[data-file-list]");
  let item = list.querySelector(`[data-file-id="${CSS.escape(id)}"]`);
  if (item) return item;
  item = fieldset.querySelector("template[data-file-template]").content.firstElementChild.cloneNode(true);
  item.dataset.fileId = id;
  item.querySelector("input[type=checkbox]").value = id;
  list.append(item);
  return item;
}

// Files chosen or photographed: made small, kept, and ticked in the form.
async function addFiles(input) {
  const fieldset = input.closest("[data-files]");
  const max = Number(fieldset.dataset.max);
  const note = fieldset.querySelector("[data-file-note]");
  if (note) note.hidden = true;
  for (const chosen of [...input.files]) {
    if (fieldset.querySelectorAll("[data-file-list] input:checked").length >= max) {
      if (note) note.hidden = false;
      break;
    }
    const file = await keep(await smaller(chosen), { person: fieldset.dataset.person, name: chosen.name });
    showKept(addChoice(fieldset, file.id), file);
  }
  // The form sends the names only: the bytes go their own way (sendFiles).
  input.value = "";
}

// An entry's files in a form the phone filled in itself (forms.js): those kept here
// as kept, the others as the server has them.
export async function drawFiles(form, name, ids) {
  const fieldset = form.querySelector(`[data-files="${CSS.escape(name)}"]`);
  if (!fieldset) return;
  for (const id of ids || []) {
    const item = addChoice(fieldset, id);
    const file = await keptFile(id);
    if (file) showKept(item, file);
  }
}

// Files the page shows as not arrived: this phone may be the one that has them.
async function showWaiting(root = document) {
  for (const item of root.querySelectorAll("[data-file-id][data-missing]")) {
    const file = await keptFile(item.dataset.fileId);
    if (file) showKept(item, file);
  }
}

export function start() {
  if (!crypto.subtle) return; // http other than localhost: the form sends files itself
  for (const input of document.querySelectorAll("input[data-add-files]")) {
    if (input.dataset.enhanced) continue;
    input.dataset.enhanced = "yes";
    input.addEventListener("change", () => addFiles(input).catch(() => { input.value = ""; }));
  }
  showWaiting().catch(() => {});
}

// ---- sending --------------------------------------------------------------------

async function call(url, init) {
  try {
    return await fetch(url, { credentials: "same-origin", ...init });
  } catch {
    return null; // no connection, or it dropped: try again at the next sync
  }
}

// One file: announce it, then chunks from where the server's copy ends. "stop" when
// the connection is gone or the session ended (the rest waits for the next sync).
async function sendOne(file) {
  let response = await call("/sync/files", {
    method: "POST", headers: HEADERS,
    body: JSON.stringify({ person: file.person_id, id: file.id, size: file.blob.size, name: file.name,
      seconds: file.seconds ?? null, language: file.language ?? null }),
  });
  let state = response?.ok ? await response.json() : null;
  while (state && !state.complete) {
    response = await call(`/sync/files/${file.person_id}/${file.id}`, {
      method: "PATCH",
      headers: { "X-Talentkaart-Sync": "1", "Content-Type": "application/octet-stream",
        "Upload-Offset": String(state.received) },
      body: file.blob.slice(state.received, state.received + CHUNK),
    });
    if (response?.status === 409) {
      state = { received: (await response.json()).received, complete: false }; // go on from there
    } else {
      state = response?.ok ? await response.json() : null;
    }
  }
  if (state?.complete) {
    await forgetFile(file.id);
    return "sent";
  }
  if (!response || response.status >= 500 || response.status === 401 || response.status === 429) return "stop";
  let answer = {};
  try {
    answer = await response.json();
  } catch { /* not JSON: a proxy's page */ }
  // Changed on the way, or forgotten by the server: sent again next time.
  if (["Changed", "UnknownUpload"].includes(answer.code)) return "again";
  await putFile({ ...file, state: "refused", message: answer.error || t("The server did not accept this change") });
  return "refused";
}

// Send this user's waiting files, oldest first; how many arrived.
export async function sendFiles(userId) {
  let sent = 0;
  const waiting = (await allFiles()).filter((f) => f.user_id === userId && f.state === "waiting")
    .sort((a, b) => a.added_at.localeCompare(b.added_at));
  for (const file of waiting) {
    const outcome = await sendOne(file);
    if (outcome === "stop") break;
    if (outcome === "sent") sent += 1;
  }
  return sent;
}

// A deleted profile's files, and a signed-out user's that were sent (sendFiles forgets
// those already): the waiting ones stay, like unsent changes.
export async function forgetFilesOf(personIds) {
  const { tx, files } = await store("readwrite");
  for (const file of await request(files.getAll())) {
    if (personIds.includes(file.person_id) || personIds.includes(file.user_id)) files.delete(file.id);
  }
  return done(tx);
}
