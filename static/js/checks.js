// Checks a form before the phone keeps it offline, by the rules the server will
// apply when it arrives: each field's kind (length, numbers, dates) and the
// record type's rules across fields. The server describes them in the form's
// data-checks, with its messages in the reader's language (sync/kinds.py,
// sync/records.py, pwa/profile.py: phone_checks), so what the phone accepts
// offline is what the server accepts. Only the rule that needs the person's
// other entries (24 hours a day) waits for the server.

// Decimal digits other scripts write (Arabic-Indic, Persian, Devanagari ...): the
// server reads each as its 0-9, so the phone does too.
const ZEROS = [0x0660, 0x06f0, 0x07c0, 0x0966, 0x09e6, 0x0a66, 0x0ae6, 0x0b66, 0x0be6,
  0x0c66, 0x0ce6, 0x0d66, 0x0e50, 0x0ed0, 0x0f20, 0x1040, 0x17e0, 0x1810, 0xff10];

function asciiDigits(text) {
  return [...text].map((ch) => {
    const code = ch.codePointAt(0);
    const zero = ZEROS.find((z) => code >= z && code <= z + 9);
    return zero === undefined ? ch : String(code - zero);
  }).join("");
}

// As the server cleans text: NFC, no control characters, one line unless multiline.
function cleaned(value, multiline) {
  let text = String(value).normalize("NFC").replace(/\r\n?/g, "\n")
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g, "");
  if (!multiline) text = text.split(/\s+/).filter(Boolean).join(" ");
  return text.trim();
}

const lang = () => document.documentElement.lang || "nl";

// A message from the server: a text, or a plural (its forms by CLDR category).
function say(message, params = {}) {
  if (typeof message === "string") return message;
  const all = { ...message.params, ...params };
  const category = new Intl.PluralRules(lang()).select(Number(all[message.number]));
  const text = message.plural[category] ?? message.plural.other ?? Object.values(message.plural)[0];
  return text.replace(/%\((\w+)\)s/g, (_, name) => String(all[name] ?? ""));
}

function realDate(text) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const [year, month, day] = text.split("-").map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? date : null;
}

function today() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}

// Each kind's check: the cleaned value (as the server stores it), or an error.
const KINDS = {
  length(field, text) {
    const count = [...text].length;
    return count > field.max ? { error: say(field.messages.too_long, { count }) } : { value: text };
  },
  int(field, text) {
    if (!/^\d{1,4}$/.test(text)) return { error: say(field.messages.whole) };
    const number = Number(text);
    return number < field.min || number > field.max ? { error: say(field.messages.range) } : { value: number };
  },
  hours(field, text) {
    const number = text.replace(/[,٫]/g, ".");
    if (!/^(\d+\.?\d*|\.\d+)$/.test(number)) return { error: say(field.messages.number) };
    const hours = Number(number);
    if (hours <= 0) return { error: say(field.messages.positive) };
    if (hours > 24) return { error: say(field.messages.day) };
    if (!Number.isInteger(hours * 4)) return { error: say(field.messages.quarter) };
    return { value: hours };
  },
  date(field, text) {
    const date = realDate(text);
    if (!date) return { error: say(field.messages.real) };
    if (date.getUTCFullYear() < 1900) return { error: say(field.messages.old) };
    if (field.not_future && text > today()) return { error: say(field.messages.future) };
    return { value: text };
  },
  month(field, text) {
    const [year, month] = text.split("-").map(Number);
    if (!/^\d{4}-\d{2}$/.test(text) || month < 1 || month > 12 || year < 1900) {
      return { error: say(field.messages.real) };
    }
    if (field.not_future && text > today().slice(0, 7)) return { error: say(field.messages.future) };
    return { value: text };
  },
  year(field, text) {
    const year = Number(text);
    const max = Math.max(field.max, new Date().getFullYear());
    return /^\d{4}$/.test(text) && year >= field.min && year <= max
      ? { value: year } : { error: say(field.messages.range) };
  },
};

const RULES = {
  required_when: (rule, data) => (data[rule.other] === rule.value && !data[rule.field] ? rule.field : null),
  one_of: (rule, data) => (rule.fields.some((name) => data[name]) ? null : rule.fields[0]),
  not_before: (rule, data) => {
    const [first, last] = [data[rule.start], data[rule.end]];
    return first && last && last < first ? rule.end : null;
  },
};

// The problems the server would find in this form: {name: message}, empty when none.
export function problems(form) {
  const checks = JSON.parse(form.dataset.checks || "null");
  if (!checks) return {};
  const input = new FormData(form);
  const errors = {};
  const data = {};
  for (const field of checks.fields) {
    const many = input.getAll(field.name).filter((v) => typeof v === "string");
    const raw = many.length > 1 ? many : (many[0] ?? "");
    if (Array.isArray(raw)) { data[field.name] = raw; continue; }
    const multiline = form.querySelector(`textarea[name="${CSS.escape(field.name)}"]`) !== null;
    let text = cleaned(raw, multiline);
    if (field.check && field.check !== "length") text = asciiDigits(text);
    if (text === "") {
      if (field.required) errors[field.name] = field.required_message;
      data[field.name] = null;
      continue;
    }
    const checked = field.check ? KINDS[field.check](field, text) : { value: text };
    if (checked.error) errors[field.name] = checked.error;
    else data[field.name] = checked.value;
  }
  if (Object.keys(errors).length) return errors;
  for (const rule of checks.rules) {
    const name = RULES[rule.rule]?.(rule, data);
    if (name) errors[name] = rule.message;
  }
  return errors;
}
