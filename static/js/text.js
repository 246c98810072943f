// The page's context and texts, for the offline modules. htmx swaps the body
// without reloading modules: read the context each time it is needed.
export const context = () => document.getElementById("tk-context")?.dataset || {};
const strings = () => JSON.parse(context().strings || "{}");
const locale = document.documentElement.lang || "nl";

// Translated text from the server; plurals by CLDR category, like gettext.
export function t(key, params = {}) {
  let text = strings()[key] ?? key;
  if (typeof text === "object") {
    const rule = new Intl.PluralRules(locale).select(params.count ?? 0);
    text = text[rule] ?? text.other ?? Object.values(text)[0];
  }
  return text.replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ""));
}
