// A deleted profile leaves nothing on the phone: when the phone keeps changes or
// entries of someone, it asks the server whether their profile was deleted, and
// forgets everything of those who were (changes not sent, entries, notes). Asked
// when signed out, where a deletion leaves the phone (it ends every session): app.js
// loads this module only then, and only on a phone that keeps something.
import { openDb } from "./outbox.js";
import { done, request } from "./db.js";
import { forgetRecords } from "./records.js";

export async function forgetErased() {
  if (!navigator.onLine) return;
  const db = await openDb();
  const ops = await request(db.transaction("outbox").objectStore("outbox").getAll());
  const keys = (await request(db.transaction("meta").objectStore("meta").getAllKeys())).map(String);
  const people = new Set(ops.flatMap((op) => [op.user_id, op.person_id]));
  for (const key of keys) {
    const [kind, id] = key.split(":");
    if (["pack", "key"].includes(kind) && id) people.add(id);
  }
  const asked = [...people].filter(Boolean).slice(0, 20);
  if (!asked.length) return;
  let erased;
  try {
    const query = asked.map((id) => `user=${encodeURIComponent(id)}`).join("&");
    const response = await fetch(`/sync/erased?${query}`, { headers: { "X-Talentkaart-Sync": "1" } });
    if (!response.ok) return;
    erased = new Set((await response.json()).erased);
  } catch {
    return;
  }
  if (!erased.size) return;
  const tx = db.transaction(["outbox", "meta"], "readwrite");
  for (const op of ops) {
    if (erased.has(op.user_id) || erased.has(op.person_id)) tx.objectStore("outbox").delete(op.op_id);
  }
  for (const key of keys) {
    if ([...erased].some((id) => key.includes(id))) tx.objectStore("meta").delete(key);
  }
  await done(tx);
  // The entries kept as data, their photos and documents, and the kept pages: a deleted
  // profile's are not shown again.
  await forgetRecords();
  const { forgetFilesOf } = await import("./files.js");
  await forgetFilesOf([...erased]);
  for (const name of await caches.keys()) if (name.startsWith("pages-")) await caches.delete(name);
  document.dispatchEvent(new CustomEvent("talentkaart:erased", { detail: [...erased] }));
}
