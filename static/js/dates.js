// A moment written the way the reader's language writes it, from the CLDR
// pattern and names the server sends (Babel): the phone's own Intl lacks
// several of our languages and writes those in its default one (often en-US).

const pad = (value, width) => String(value).padStart(width, "0");

// A pattern letter, repeated `width` times, and what it stands for.
const FIELDS = {
  y: (date, width) => (width === 2 ? pad(date.getFullYear() % 100, 2) : pad(date.getFullYear(), width)),
  M: (date, width, names) => (width >= 4 ? names.months[date.getMonth()]
    : width === 3 ? names.months_short[date.getMonth()] : pad(date.getMonth() + 1, width)),
  d: (date, width) => pad(date.getDate(), width),
  H: (date, width) => pad(date.getHours(), width),
  h: (date, width) => pad(date.getHours() % 12 || 12, width),
  m: (date, width) => pad(date.getMinutes(), width),
  a: (date, width, names) => names.periods[date.getHours() < 12 ? 0 : 1],
};

// `format` is {pattern, months, months_short, periods} (pwa.offline.moment_format);
// in a pattern, letters are fields ("MMMM": the month's name), quoted text is
// literal ("'kl'."), and the digits are Latin, as everywhere in the app.
export function formatMoment(value, format) {
  const date = new Date(value);
  if (!format) return date.toLocaleString(document.documentElement.lang); // a page kept by an older build
  return format.pattern.replace(/'([^']*)'|([A-Za-z])\2*/g, (token, quoted, letter) => {
    if (quoted !== undefined) return quoted || "'";
    return FIELDS[letter] ? FIELDS[letter](date, token.length, format) : token;
  });
}
