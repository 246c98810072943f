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

// Texts that can be read aloud: the speaker buttons come with static/js/readaloud.js,
// loaded only on pages that have such texts.
if (document.querySelector("[data-say]")) {
  import("./readaloud.js").then((module) => module.start()).catch(() => {});
}
