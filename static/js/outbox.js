// The outbox: changes made on this phone, kept in IndexedDB until the server
// has them. An operation leaves the outbox only when the server acknowledges
// it (applied, merged, conflict or duplicate); a refusal keeps it, marked
// "rejected" with the server's reasons, for the person to fix or discard.
import { database, done, request } from "./db.js";
import { cursorOf, forgetRecords, pullChanges } from "./records.js";

const BATCH = 50;

// Version 2: photos and documents waiting to be sent (static/js/files.js).
export function openDb() {
  return database("talentkaart", 2, (db, oldVersion) => {
    if (oldVersion < 1) {
      const ops = db.createObjectStore("outbox", { keyPath: "op_id" });
      ops.createIndex("device_seq", "device_seq", { unique: true });
      db.createObjectStore("meta");
    }
    if (oldVersion < 2) db.createObjectStore("files", { keyPath: "id" });
  });
}

// Bytes (an array or a buffer) as lower-case hex.
const hex = (bytes) => [...new Uint8Array(bytes)].map((x) => x.toString(16).padStart(2, "0")).join("");

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
export { newId };

export async function getMeta(key) {
  const db = await openDb();
  return request(db.transaction("meta").objectStore("meta").get(key));
}

export async function setMeta(key, value) {
  const db = await openDb();
  const tx = db.transaction("meta", "readwrite");
  tx.objectStore("meta").put(value, key);
  return done(tx);
}

export async function deviceId() {
  let id = await getMeta("device_id");
  if (!id) {
    id = newId();
    await setMeta("device_id", id);
  }
  return id;
}

// Queue one change. The sequence number is decided inside the same
// transaction, so two tabs never hand out the same number. The base revision
// stays what the form showed (the server's version); an edit of an entry that
// still has unsent changes, or whose last change from this phone the page
// does not show yet, names that change ("after"), so the server judges it
// against the person's own earlier change and never calls it a conflict.
export async function enqueue(op) {
  const db = await openDb();
  const tx = db.transaction(["outbox", "meta"], "readwrite");
  const outbox = tx.objectStore("outbox");
  const meta = tx.objectStore("meta");
  const seq = ((await request(meta.get("next_seq"))) || 1);
  meta.put(seq + 1, "next_seq");
  const all = await request(outbox.getAll());
  const earlier = all
    .filter((o) => o.record_id === op.record_id && o.user_id === op.user_id && o.status !== "rejected")
    .sort((a, b) => a.device_seq - b.device_seq);
  const last = earlier[earlier.length - 1];
  const acknowledged = await request(meta.get(ackKey(op.user_id, op.record_id)));
  const entry = {
    ...op,
    device_seq: seq,
    after: last ? last.op_id : acknowledged || null,
    made_at: new Date().toISOString(),
    status: "pending",
    message: null,
    errors: {},
  };
  outbox.put(entry);
  await done(tx);
  await signUnsigned(op.user_id);
  announce();
  return entry;
}

// The last change of a record this phone made and the server acknowledged.
const ackKey = (userId, recordId) => `ack:${userId}:${recordId}`;

export async function allOps() {
  const db = await openDb();
  const ops = await request(db.transaction("outbox").objectStore("outbox").getAll());
  return ops.sort((a, b) => a.device_seq - b.device_seq);
}

// One transaction for all of them (an entry's changes go together): a sync
// running meanwhile never sends half of them.
export async function discard(...opIds) {
  const db = await openDb();
  const tx = db.transaction("outbox", "readwrite");
  for (const opId of opIds) tx.objectStore("outbox").delete(opId);
  await done(tx);
  announce();
}

async function settle(results, sent) {
  const db = await openDb();
  const tx = db.transaction(["outbox", "meta"], "readwrite");
  const outbox = tx.objectStore("outbox");
  let applied = 0;
  for (const result of results) {
    const op = sent.get(result.op_id);
    if (!op) continue;
    if (result.status === "rejected") {
      const kept = await request(outbox.get(result.op_id));
      if (kept) outbox.put({ ...kept, status: "rejected", message: result.message, errors: result.errors || {} });
    } else {
      outbox.delete(result.op_id);
      tx.objectStore("meta").put(op.op_id, ackKey(op.user_id, op.record_id));
      applied += 1;
    }
  }
  await done(tx);
  return applied;
}

// Tell every open tab (and this one) that the outbox changed.
const channel = "BroadcastChannel" in self ? new BroadcastChannel("talentkaart-outbox") : null;
export function announce() {
  if (channel) channel.postMessage("changed");
  document.dispatchEvent(new CustomEvent("outbox:changed"));
}
if (channel) channel.onmessage = () => document.dispatchEvent(new CustomEvent("outbox:changed"));

export const HEADERS = { "Content-Type": "application/json", "X-Talentkaart-Sync": "1" };

// Send what is pending, oldest first. Returns a summary; never throws.
async function pushPending(userId) {
  const summary = { sent: 0, applied: 0, signin: false, error: false };
  let batch = BATCH;
  for (;;) {
    const pending = (await allOps()).filter((o) => o.user_id === userId && o.status === "pending");
    if (!pending.length) return summary;
    const chunk = pending.slice(0, batch);
    let response;
    try {
      response = await fetch("/sync/push", {
        method: "POST",
        credentials: "same-origin",
        headers: HEADERS,
        body: JSON.stringify({ device_id: await deviceId(), operations: chunk.map(wireFormat) }),
      });
    } catch (error) {
      summary.error = true;
      return summary;
    }
    if (response.status === 401) {
      summary.signin = true;
      await setMeta("needs_signin", true);
      return summary;
    }
    if (response.status === 413 && batch > 1) {
      batch = Math.ceil(batch / 2);
      continue;
    }
    if (!response.ok) {
      summary.error = true;
      return summary;
    }
    const body = await response.json();
    await setMeta("needs_signin", false);
    summary.sent += chunk.length;
    summary.applied += await settle(body.results || [], new Map(chunk.map((o) => [o.op_id, o])));
    announce();
  }
}

function wireFormat(op) {
  const { op_id, device_seq, person_id, record_type, record_id, action, base_revision, after, fields } = op;
  return { op_id, device_seq, person_id, record_type, record_id, action, base_revision, after: after || null, fields };
}

// ---- signatures ----------------------------------------------------------------
// Each change is signed with a key the server gave this device for this person:
// HMAC-SHA256 over the exact JSON text of its wire form, kept with the change
// ("signed", "sig", "key_id"). A coach who uploads a saved file can carry
// those changes in the person's name, but cannot write new ones for them.

const keyName = (userId) => `key:${userId}`;

// Ask for this device's key once. WebCrypto exists only on https (and
// localhost); without it the changes stay unsigned and are still sent.
async function fetchSigningKey(userId) {
  if (!crypto.subtle || (await getMeta(keyName(userId)))) return;
  try {
    const response = await fetch("/sync/key", {
      method: "POST",
      credentials: "same-origin",
      headers: HEADERS,
      body: JSON.stringify({ device_id: await deviceId() }),
    });
    if (!response.ok) return;
    const { key_id, secret, user_id } = await response.json();
    if (user_id !== userId) return; // another account signed in since this page loaded
    const raw = new Uint8Array(secret.match(/../g).map((pair) => parseInt(pair, 16)));
    // Not extractable: scripts on this phone can sign with it but never read it out.
    const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    await setMeta(keyName(userId), { key_id, key });
  } catch { /* offline: ask again at the next sync */ }
}

// Sign the person's changes that are not signed yet (when this device has their key).
export async function signUnsigned(userId) {
  try {
    const stored = await getMeta(keyName(userId));
    if (!stored) return;
    const signatures = new Map();
    for (const op of await allOps()) {
      if (op.user_id !== userId || op.sig) continue;
      const signed = JSON.stringify(wireFormat(op));
      const mac = await crypto.subtle.sign("HMAC", stored.key, new TextEncoder().encode(signed));
      signatures.set(op.op_id, { signed, sig: hex(mac), key_id: stored.key_id });
    }
    if (!signatures.size) return;
    // An IndexedDB transaction does not wait for WebCrypto: store the signatures in
    // a new one, on the changes that are still there (a sync may have sent some).
    const db = await openDb();
    const tx = db.transaction("outbox", "readwrite");
    const outbox = tx.objectStore("outbox");
    for (const [opId, signature] of signatures) {
      const kept = await request(outbox.get(opId));
      if (kept && !kept.sig) outbox.put({ ...kept, ...signature });
    }
    await done(tx);
  } catch { /* unsigned changes are still sent; only a carried file needs signatures */ }
}

// One sync runner across tabs: the Web Lock makes a second tab skip, not race.
// Sends what waits, then pulls the person's changes (keeping the entries when
// `keep`). A page that shows the person's entries says which change it shows
// (`shownSeq`): when the phone has that one already and sent nothing, there is
// nothing to ask. The summary says what was sent and pulled, and the cursor.
export async function syncNow({ userId, personId, keep = false, shownSeq }) {
  if (!userId) return null;
  const run = async () => {
    await fetchSigningKey(userId);
    await signUnsigned(userId);
    const summary = await pushPending(userId);
    // Then the files, each after the entries that name them (either order ends whole).
    if (!summary.signin && !summary.error) {
      const { sendFiles } = await import("./files.js");
      summary.files = await sendFiles(userId);
    }
    Object.assign(summary, { pulled: 0, first: false, cursor: 0 });
    if (!personId || summary.signin) return summary;
    summary.cursor = await cursorOf(personId);
    if (summary.applied || shownSeq === undefined || shownSeq > summary.cursor) {
      Object.assign(summary, (await pullChanges({ userId, personId, keep })) || {});
    }
    return summary;
  };
  if (navigator.locks) {
    return navigator.locks.request("talentkaart-sync", { ifAvailable: true }, (lock) => (lock ? run() : null));
  }
  return run();
}

// Forget everything of this device's user (after a successful sign-out).
export async function forgetUser(userId) {
  const db = await openDb();
  const tx = db.transaction(["outbox", "meta"], "readwrite");
  const ops = await request(tx.objectStore("outbox").getAll());
  for (const op of ops) if (op.user_id === userId && op.status !== "pending" && op.status !== "rejected") tx.objectStore("outbox").delete(op.op_id);
  // The key goes at every sign-out: on a shared tablet the next person must not be
  // able to sign changes in this person's name. Kept changes were signed when made.
  tx.objectStore("meta").delete(keyName(userId));
  const keys = await request(tx.objectStore("meta").getAllKeys());
  // The kept pages go too (see offline.js): the note that this phone keeps them goes with them.
  for (const key of keys) {
    const name = String(key);
    if (name.startsWith("cursor:") || name.startsWith(`ack:${userId}:`) || name === `pack:${userId}`) {
      tx.objectStore("meta").delete(key);
    }
  }
  await done(tx);
  // And the entries kept as data, of everyone this phone pulled.
  await forgetRecords();
}
