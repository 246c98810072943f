// Read aloud: a speaker button beside each text marked data-say (questions, hints,
// choice lists, section introductions), when this phone can say it in the page's
// language: a recording made for that text (data-audio, pwa/read_aloud.py), else the
// browser's speech with a voice of that language. Never with another language's voice:
// no voice, no button; and a voice the phone lists but cannot use is remembered as none.

const HOSTS = "a, label, legend, summary, button, .field-hint";
const UNUSABLE = ["language-unavailable", "voice-unavailable", "synthesis-unavailable"];

// The voice for a BCP 47 tag ("fa-AF", "ar", "ti"): the same tag, else the same
// language; installed voices first. Null when there is none.
export function pickVoice(voices, lang) {
  const tag = (v) => (v.lang || "").toLowerCase().replace("_", "-");
  const wanted = lang.toLowerCase();
  const base = wanted.split("-")[0];
  const rank = (v) => (tag(v) === wanted ? 0 : 2) + (v.localService ? 0 : 1);
  const matching = voices.filter((v) => tag(v) === wanted || tag(v).split("-")[0] === base);
  return matching.sort((a, b) => rank(a) - rank(b))[0] || null;
}

function spoken(element) {
  const copy = element.cloneNode(true);
  copy.querySelectorAll(".dutch, .visually-hidden, .say").forEach((part) => part.remove());
  return copy.textContent.replace(/\s+/g, " ").trim();
}

// What a button beside ``host`` reads: its marked texts, and under a legend the choices.
function textOf(host, parts) {
  const texts = parts.map(spoken);
  if (host.matches("legend")) {
    // A short list is read with its question; a long one (every skill) would never end.
    const choices = host.parentElement.querySelectorAll("label.choice > span");
    if (choices.length <= 12) choices.forEach((c) => texts.push(spoken(c)));
  }
  return texts.filter(Boolean).join(". ");
}

function noVoiceKey(lang) {
  return `tk-no-voice:${lang}`;
}

function voiceFor(lang) {
  if (!("speechSynthesis" in window)) return null;
  try {
    if (localStorage.getItem(noVoiceKey(lang))) return null;
  } catch { /* storage may be off: ask the phone each time */ }
  return pickVoice(speechSynthesis.getVoices(), lang);
}

function speak(text, lang, voice) {
  speechSynthesis.cancel();
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = lang;
  utterance.voice = voice;
  utterance.onerror = (event) => {
    if (!UNUSABLE.includes(event.error)) return;
    try { localStorage.setItem(noVoiceKey(lang), "1"); } catch { /* see voiceFor */ }
    document.querySelectorAll("button.say[data-voice]").forEach((b) => b.remove());
  };
  speechSynthesis.speak(utterance);
}

let playing = null;

function play(url) {
  if (playing) playing.pause();
  playing = new Audio(url);
  playing.play().catch(() => {});
}

// Named "Read aloud" only: the text is right beside it, and a name holding the text
// would also answer to that text's label.
function button(label, icon) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "say button--link";
  b.setAttribute("aria-label", label);
  if (icon) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "icon");
    svg.setAttribute("aria-hidden", "true");
    const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
    use.setAttribute("href", `${icon}#read-aloud`);
    svg.append(use);
    b.append(svg);
  }
  return b;
}

export function addButtons(root = document) {
  const main = document.getElementById("main");
  const label = main?.dataset.readAloud;
  if (!label) return;
  const lang = document.documentElement.lang;
  const voice = voiceFor(lang);
  const icon = document.querySelector('use[href*="sprite.svg"]')?.getAttribute("href").split("#")[0];
  const hosts = new Map();
  root.querySelectorAll("[data-say]").forEach((el) => {
    const host = el.closest(HOSTS) || el;
    if (!hosts.has(host)) hosts.set(host, []);
    hosts.get(host).push(el);
  });
  const keep = [];
  for (const [host, parts] of hosts) {
    if (host.nextElementSibling?.matches("button.say")) continue;
    const audio = parts.map((p) => p.dataset.audio).find(Boolean);
    if (!audio && !voice) continue;
    const text = textOf(host, parts);
    if (!text) continue;
    const b = button(label, icon);
    if (audio) {
      b.dataset.audio = audio;
      b.addEventListener("click", () => play(audio));
      keep.push(audio);
    } else {
      b.dataset.voice = voice.name;
      b.addEventListener("click", () => speak(text, lang, voice));
    }
    host.after(b);
  }
  // The worker keeps the page's recordings for use offline, unless the phone asks to
  // save data (then a recording is kept once it was played).
  if (keep.length && !navigator.connection?.saveData && navigator.serviceWorker) {
    // To the worker that controls the page: on a first visit it takes control a moment
    // after the page loaded.
    const ask = () => navigator.serviceWorker.controller?.postMessage({ type: "keep-recordings", urls: keep });
    if (navigator.serviceWorker.controller) ask();
    else navigator.serviceWorker.addEventListener("controllerchange", ask, { once: true });
  }
}

export function start() {
  addButtons();
  // Voices often arrive a moment after the page: look again once they do.
  if ("speechSynthesis" in window) {
    speechSynthesis.addEventListener("voiceschanged", () => addButtons(), { once: true });
  }
  document.addEventListener("htmx:afterSettle", (event) => addButtons(event.target));
}
