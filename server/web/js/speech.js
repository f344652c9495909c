// Narration: a speaker button that reads text aloud with the device's own speech synthesis, in
// the interface's language (Thai: a th-TH voice). Devices without such a voice get no button
// at all: a button that says nothing is worse than none. Voices often arrive after the page
// loads (the "voiceschanged" event), so buttons made early show themselves when one arrives.

import { el } from "./dom.js";
import { currentLang, onLang, t } from "./i18n.js";

const synth = typeof window !== "undefined" ? window.speechSynthesis : undefined;
const buttons = new Set();
const spokenListeners = new Set();

/** Call `fn` each time text is read aloud (the inclusion figures count narration's use). */
export function onSpoken(fn) {
  spokenListeners.add(fn);
  return () => spokenListeners.delete(fn);
}

/** The voice for `lang` ("th" or "en"), or null when the device has none. */
export function voiceFor(lang = currentLang()) {
  if (!synth || typeof synth.getVoices !== "function") return null;
  const prefix = lang === "th" ? "th" : "en";
  const voices = synth.getVoices() || [];
  return (
    voices.find((v) => v.lang?.toLowerCase().replace("_", "-") === `${prefix}-th`) ||
    voices.find((v) => v.lang?.toLowerCase().startsWith(prefix)) ||
    null
  );
}

export function canSpeak() {
  return voiceFor() !== null && typeof window.SpeechSynthesisUtterance === "function";
}

/** Read `text` aloud (stopping whatever was being read); false when no voice is available. */
export function speak(text) {
  const voice = voiceFor();
  if (!voice || !text) return false;
  synth.cancel();
  const u = new SpeechSynthesisUtterance(text);
  u.voice = voice;
  u.lang = voice.lang || (currentLang() === "th" ? "th-TH" : "en-GB");
  u.rate = 0.9; // a little slower than the default: easier to follow
  synth.speak(u);
  for (const fn of spokenListeners) fn();
  return true;
}

export function stopSpeaking() {
  synth?.cancel();
}

function refreshButtons() {
  const can = canSpeak();
  for (const b of buttons) {
    if (!b.isConnected) {
      buttons.delete(b);
      continue;
    }
    b.hidden = !can;
    b.querySelector(".word").textContent = t("listen");
  }
}

if (synth?.addEventListener) synth.addEventListener("voiceschanged", refreshButtons);
onLang(refreshButtons);

/** A "🔊 ฟัง · Listen" button reading `textOf()` (a function: the text may change). */
export function speakerButton(textOf, { className = "speak-btn" } = {}) {
  const button = el(
    "button",
    {
      type: "button",
      class: className,
      hidden: !canSpeak(),
      onclick: () => speak(textOf()),
    },
    el("span", { "aria-hidden": "true", text: "🔊" }),
    " ",
    el("span", { class: "word", text: t("listen") }),
  );
  buttons.add(button);
  return button;
}
