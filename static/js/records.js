// The person's entries, kept on the phone as data: what /sync/pull returns, stored in
// IndexedDB by id (a deleted entry stays as a tombstone), with the pull's cursor (the
// person's change number) written in the same transaction. The phone keeps one forms
// page, not a page per entry: forms.js fills it in from these, so any entry can be
// changed offline, also one whose page was never opened.
//
// Its own database, not the outbox's: a page of an older version still open in another
// tab keeps opening the outbox at the version it knows.
import { database, done, request } from "./db.js";

const open = () => database("talentkaart-records", 1, (db) => {
  db.createObjectStore("records", { keyPath: "id" }).createIndex("person", "person_id");
  // person id -> the change number pulled up to; "owner" -> whose session pulled them.
  db.createObjectStore("cursors");
});

export async function cursorOf(personId) {
  const db = await open();
  return (await request(db.transaction("cursors").objectStore("cursors").get(personId))) || 0;
}

// The person's entry `id` (a tombstone when it was deleted), or undefined.
export async function recordOf(personId, id) {
  const db = await open();
  const record = await request(db.transaction("records").objectStore("records").get(id));
  return record?.person_id === personId ? record : undefined;
}

// The person's live entries of `type`.
export async function recordsOf(personId, type) {
  const db = await open();
  const all = await request(db.transaction("records").objectStore("records").index("person")
    .getAll(personId));
  return all.filter((record) => record.type === type && !record.deleted);
}

// Forget every entry and cursor (signing out; another person's session).
export async function forgetRecords() {
  const db = await open();
  const tx = db.transaction(["records", "cursors"], "readwrite");
  tx.objectStore("records").clear();
  tx.objectStore("cursors").clear();
  await done(tx);
}

// Ask the server what changed on a profile since the cursor; keep the entries when
// `keep` (the person's own phone keeps their pack), and the cursor always. Returns
// {pulled, cursor, first} (pulled: how many entries changed; first: nothing was
// known before), or null when the server could not be asked.
export async function pullChanges({ userId, personId, keep }) {
  const db = await open();
  const owner = await request(db.transaction("cursors").objectStore("cursors").get("owner"));
  // Kept entries never outlive the session that pulled them (as the kept pages).
  if (owner !== undefined && owner !== userId) await forgetRecords();
  const since = await cursorOf(personId);
  let changes;
  try {
    const response = await fetch(`/sync/pull?person=${encodeURIComponent(personId)}&since=${since}`,
      { credentials: "same-origin", headers: { "X-Talentkaart-Sync": "1" } });
    if (!response.ok) return null;
    changes = await response.json();
  } catch {
    return null;
  }
  const tx = db.transaction(["records", "cursors"], "readwrite");
  const records = tx.objectStore("records");
  if (keep) {
    for (const { id, type, revision, deleted, has_conflict, data, seq } of changes.records) {
      records.put({ id, person_id: personId, type, revision, deleted, has_conflict: Boolean(has_conflict), data, seq });
    }
  }
  tx.objectStore("cursors").put(changes.cursor, personId);
  tx.objectStore("cursors").put(userId, "owner");
  await done(tx);
  return { pulled: changes.records.length, cursor: changes.cursor, first: since === 0 };
}
