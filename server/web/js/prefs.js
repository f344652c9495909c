// The visitor's display preferences, remembered in this browser: text size (it scales the
// whole interface, because every size in the stylesheets is in rem) and high contrast. Applied to
// <html> as data attributes before the first paint of the mode.

const KEY = "srichan.prefs";
export const TEXT_SIZES = Object.freeze(["normal", "large", "xlarge"]);
const DEFAULTS = Object.freeze({ text: "normal", contrast: "normal" });
const listeners = new Set();

function read() {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) || "{}");
    return {
      text: TEXT_SIZES.includes(stored.text) ? stored.text : DEFAULTS.text,
      contrast: stored.contrast === "high" ? "high" : DEFAULTS.contrast,
    };
  } catch {
    return { ...DEFAULTS };
  }
}

let prefs = read();

export function currentPrefs() {
  return { ...prefs };
}

/** Put the preferences on <html> (`data-text`, `data-contrast`), where the stylesheets read them. */
export function applyPrefs(root = document.documentElement) {
  root.dataset.text = prefs.text;
  root.dataset.contrast = prefs.contrast;
}

export function setPref(name, value) {
  prefs = { ...prefs, [name]: value };
  try {
    localStorage.setItem(KEY, JSON.stringify(prefs));
  } catch {
    // Private mode: the choice lasts for this page.
  }
  applyPrefs();
  for (const fn of listeners) fn(currentPrefs());
}

export function onPrefs(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** One-time flags (the welcome was shown, ...), remembered like the preferences. */
export function flag(name) {
  try {
    return localStorage.getItem(`srichan.flag.${name}`) === "1";
  } catch {
    return false;
  }
}

export function setFlag(name, on = true) {
  try {
    if (on) localStorage.setItem(`srichan.flag.${name}`, "1");
    else localStorage.removeItem(`srichan.flag.${name}`);
  } catch {
    // not remembered
  }
}
