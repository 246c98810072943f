// Small progressive enhancements; every page works without this file.

// Move focus to the error summary so screen readers announce it (GOV.UK
// pattern). htmx swaps content without a page load, so do it after swaps too.
function focusErrorSummary(root) {
  const summary = root.querySelector("[data-focus-on-load]");
  if (summary) summary.focus();
}

document.addEventListener("DOMContentLoaded", () => focusErrorSummary(document));
document.addEventListener("htmx:afterSettle", (event) => focusErrorSummary(event.target));

// Signed out (a deletion ends every session), a phone that keeps someone's changes or
// entries asks whether their profile was deleted meanwhile (static/js/erased.js);
// signed-in pages and other phones ask nothing and load nothing more.
async function forgetErasedProfiles() {
  if (document.getElementById("tk-context") || !indexedDB.databases || !navigator.onLine) return;
  const kept = await indexedDB.databases();
  if (!kept.some((db) => db.name === "talentkaart")) return;
  const { forgetErased } = await import("./erased.js");
  await forgetErased();
}
forgetErasedProfiles().catch(() => {});

// Modules some pages need, loaded when a page needs them: on load, and after htmx
// swapped in another page (hx-boost keeps this module running, so check again).
// The guided start: a new profile's forms one question at a time (static/js/guided.js).
// Texts that can be read aloud: the speaker buttons (static/js/readaloud.js).
let readAloud = null;
function enhance() {
  // Photos and documents: made small and kept on the phone (static/js/files.js).
  if (document.querySelector("[data-files], [data-missing]")) {
    import("./files.js").then((module) => module.start()).catch(() => {});
  }
  // Voice answers beside free-text fields (static/js/voice.js).
  if (document.querySelector("[data-voice]")) {
    import("./voice.js").then((module) => module.start()).catch(() => {});
  }
  if (new URLSearchParams(location.search).get("guided") === "1") {
    import("./guided.js").then((module) => module.start()).catch(() => {});
  }
  if (!readAloud && document.querySelector("[data-say]")) {
    readAloud = import("./readaloud.js").then((module) => module.start()).catch(() => {});
  }
}
enhance();
document.addEventListener("htmx:afterSettle", enhance);
