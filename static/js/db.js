// IndexedDB in small promises, and each database opened once per page.

export function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

const opened = new Map();

// `upgrade(db, oldVersion)` makes the stores a new version needs.
export function database(name, version, upgrade) {
  if (!opened.has(name)) {
    opened.set(name, new Promise((resolve, reject) => {
      const open = indexedDB.open(name, version);
      open.onupgradeneeded = (event) => upgrade(open.result, event.oldVersion);
      open.onsuccess = () => {
        const db = open.result;
        // iOS may close the connection under memory pressure, and another tab's newer
        // version asks us to let go: reopen next time.
        db.onclose = () => opened.delete(name);
        db.onversionchange = () => { db.close(); opened.delete(name); };
        resolve(db);
      };
      open.onerror = () => { opened.delete(name); reject(open.error); };
    }));
  }
  return opened.get(name);
}
