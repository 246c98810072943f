// Voice answers: say what you would otherwise type, beside a free-text field.
//
// MediaRecorder records from the microphone (Opus where the browser has it, else its
// own default). The recording is kept on the phone and sent like a photo (files.js),
// with how long it is and the page's language; it stops by itself at the longest
// answer the server takes. The buttons show only where a recorder exists: without
// one, the text field is the way to answer.
import { keep, keptFile } from "./files.js";
import { t } from "./text.js";

const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"];
const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, "0")}`;

function part(field, name) {
  return field.querySelector(`[data-voice-${name}]`);
}

function say(field, problem) {
  const note = part(field, "problem");
  note.textContent = problem || "";
  note.hidden = !problem;
}

// The recording as the phone keeps it: playable here, and waiting to be sent.
function showAnswer(field, file) {
  const answer = part(field, "answer");
  const audio = document.createElement("audio");
  audio.controls = true;
  audio.src = URL.createObjectURL(file.blob);
  answer.querySelector("audio")?.remove();
  answer.prepend(audio);
  part(field, "state").textContent = file.state === "refused"
    ? t("Not accepted: %(reason)s", { reason: file.message }) : t("Saved on this phone, not yet sent");
  answer.hidden = false;
  part(field, "remove").hidden = false;
}

async function record(field) {
  say(field, "");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch {
    say(field, t("The microphone cannot be used. Allow it for Talentkaart, or type your answer."));
    return;
  }
  const mimeType = TYPES.find((type) => MediaRecorder.isTypeSupported(type));
  const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : {});
  const pieces = [];
  const most = Number(field.dataset.maxSeconds);
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const timer = part(field, "time");
  const tick = setInterval(() => {
    timer.textContent = `${clock(elapsed())} / ${clock(most)}`;
    if (elapsed() >= most - 0.5) recorder.stop(); // the server takes no longer answer
  }, 250);
  recorder.ondataavailable = (event) => { if (event.data.size) pieces.push(event.data); };
  recorder.onstop = async () => {
    clearInterval(tick);
    for (const track of stream.getTracks()) track.stop();
    part(field, "stop").hidden = true;
    part(field, "record").hidden = false;
    const seconds = Math.round(elapsed() * 10) / 10;
    const type = (recorder.mimeType || "audio/webm").split(";")[0];
    const blob = new Blob(pieces, { type });
    if (seconds < 1 || !blob.size) {
      say(field, t("This recording is empty. Record your answer again."));
      return;
    }
    const file = await keep(blob, { person: field.dataset.person, name: `voice${type === "audio/mp4" ? ".m4a" : type === "audio/ogg" ? ".ogg" : ".webm"}`,
      seconds, language: field.dataset.language });
    field.querySelector(`input[name="${CSS.escape(field.dataset.voice)}"]`).value = file.id;
    showAnswer(field, file);
    part(field, "record").focus();
  };
  part(field, "stop").onclick = () => recorder.state !== "inactive" && recorder.stop();
  recorder.start(1000);
  part(field, "record").hidden = true;
  part(field, "stop").hidden = false;
  part(field, "stop").focus();
}

function remove(field) {
  field.querySelector(`input[name="${CSS.escape(field.dataset.voice)}"]`).value = "";
  part(field, "answer").hidden = true;
  part(field, "answer").querySelector("audio")?.remove();
  part(field, "remove").hidden = true;
  part(field, "time").textContent = "";
}

export function start(root = document) {
  if (!window.MediaRecorder || !navigator.mediaDevices?.getUserMedia || !crypto.subtle) return;
  for (const field of root.querySelectorAll("[data-voice]")) {
    if (field.dataset.enhanced) continue;
    field.dataset.enhanced = "yes";
    part(field, "controls").hidden = false;
    part(field, "record").addEventListener("click", () => record(field));
    part(field, "remove").addEventListener("click", () => remove(field));
    const id = field.querySelector(`input[name="${CSS.escape(field.dataset.voice)}"]`).value;
    if (id) keptFile(id).then((file) => file && showAnswer(field, file)).catch(() => {});
  }
}
