// The guided start (?guided=1, pwa/profile.py GUIDED_STEPS): a section's form shown one
// question at a time, with large Back and Next buttons; the last question's Save sends
// the whole entry, online or into the outbox, and goes on to the next section. Every
// answer is kept on the phone as it is given, so a reload, a lost connection or a
// closed browser loses nothing; the kept answers go once the entry is saved.
import { context, t } from "./text.js";

const draftKey = () => `tk-guided:${location.pathname}`;

// The next step's address when the form does not say it (a form the phone drew from
// its kept copy offline): the steps come from the page, the addresses are the forms'.
function nextStep(form) {
  const steps = (context().guided || "").split(" ").filter(Boolean);
  const person = form.dataset.person;
  const following = steps[steps.indexOf(form.dataset.slug) + 1];
  if (!following) return `/people/${person}/`;
  return following === "basics" ? `/people/${person}/basics?guided=1`
    : `/people/${person}/${following}/new?guided=1`;
}

// A question shown only when a rule asks for it ("the date of your application" for an
// asylum seeker): the form's own required_when rules (sync/records.py).
function shownWhen(form) {
  const rules = JSON.parse(form.dataset.checks || "{}").rules || [];
  return (name) => {
    const rule = rules.find((r) => r.rule === "required_when" && r.field === name);
    return !rule || form.elements[rule.other]?.value === rule.value;
  };
}

function nameOf(step) {
  return step.querySelector("[name]:not([type=hidden]):not([name=q])")?.name;
}

function keepDraft(form) {
  // Text answers only: a chosen file is kept by files.js, and a file input takes no value.
  const answers = [...new FormData(form)].filter(([name, value]) => name !== "csrf_token" && typeof value === "string");
  try { localStorage.setItem(draftKey(), JSON.stringify(answers)); } catch { /* full: the form still has them */ }
}

function restoreDraft(form) {
  let answers;
  try { answers = JSON.parse(localStorage.getItem(draftKey()) || "null"); } catch { answers = null; }
  if (!answers || form.querySelector(".field--error")) return;  // the server's answer wins
  const byName = new Map();
  answers.forEach(([name, value]) => byName.set(name, [...(byName.get(name) || []), value]));
  for (const [name, values] of byName) {
    for (const element of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
      if (element.type === "radio" || element.type === "checkbox") {
        element.checked = values.includes(element.value);
        // A choice in a folded list (a skill area) shows again, unfolded.
        if (element.checked) element.closest("details")?.setAttribute("open", "");
      }
      else if (element.type !== "hidden" && element.type !== "file") element.value = values[0];
    }
  }
}

export function guide(form) {
  if (!form || form.dataset.guidedOn) return;
  form.dataset.guidedOn = "yes";
  if (!form.querySelector('input[name="guided"]')) {
    form.dataset.returnTo = nextStep(form);
    form.insertAdjacentHTML("afterbegin", '<input type="hidden" name="guided" value="1">');
  }
  restoreDraft(form);
  const steps = [...form.querySelectorAll(":scope > .field")];
  const save = form.querySelector(":scope > .button-row"); // the Save row, not a field's own buttons
  const shown = shownWhen(form);
  const progress = document.createElement("p");
  progress.className = "guided-progress";
  progress.setAttribute("aria-live", "polite");
  const nav = document.createElement("div");
  nav.className = "guided-nav";
  const back = Object.assign(document.createElement("button"), { type: "button", className: "button button--secondary button--large", textContent: t("Back") });
  const next = Object.assign(document.createElement("button"), { type: "button", className: "button button--large", textContent: t("Next") });
  nav.append(back, next);
  form.prepend(progress);
  save.before(nav);
  save.querySelector("button")?.classList.add("button--large");

  const visible = () => steps.filter((step) => shown(nameOf(step)));
  const firstError = steps.findIndex((step) => step.classList.contains("field--error"));
  let at = firstError >= 0 ? visible().indexOf(steps[firstError]) : 0;

  function show(focus) {
    const list = visible();
    at = Math.max(0, Math.min(at, list.length - 1));
    steps.forEach((step) => { step.hidden = step !== list[at]; });
    const last = at === list.length - 1;
    back.hidden = at === 0;
    next.hidden = last;
    save.hidden = !last;
    progress.textContent = t("Question %(number)s of %(total)s", { number: at + 1, total: list.length });
    if (focus) list[at].querySelector("input:not([type=hidden]), select, textarea, button")?.focus();
  }

  back.addEventListener("click", () => { at -= 1; show(true); });
  next.addEventListener("click", () => { at += 1; show(true); });
  form.addEventListener("input", () => keepDraft(form));
  // Enter in a one-line answer goes to the next question, not off with the whole form.
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("input:not([type=search])") && !next.hidden) {
      event.preventDefault();
      at += 1;
      show(true);
    }
  });
  form.addEventListener("change", () => { keepDraft(form); show(false); });
  // Sent (or queued): the answers are in the entry now.
  form.addEventListener("submit", () => {
    try { localStorage.removeItem(draftKey()); } catch { /* see keepDraft */ }
  });
  show(false);
}

export function start() {
  const find = () => guide(document.querySelector("#entry-form form[data-offline], #tk-forms form[data-offline]"));
  find();
  // Offline the form is drawn from the kept forms page a moment later (forms.js).
  const holder = document.getElementById("tk-forms");
  if (holder) new MutationObserver(find).observe(holder, { childList: true });
}
