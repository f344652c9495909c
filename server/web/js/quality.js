// Graphics quality: "auto" picks low on weak devices (few cores, little memory, or a slow
// frame-rate probe after the street appears); the visitor may force "high" or "low".
// `?quality=high|low` in the address overrides both (benchmarks, screenshots).

const KEY = "srichan.quality";
const PROBE_FRAMES = 45;
const SLOW_FRAME_MS = 40; // below 25 frames per second

export function qualitySetting() {
  const forced = new URLSearchParams(location.search).get("quality");
  if (forced === "high" || forced === "low") return forced;
  try {
    const stored = localStorage.getItem(KEY);
    if (stored === "high" || stored === "low") return stored;
  } catch {
    // fall through to auto
  }
  return "auto";
}

export function setQualitySetting(value) {
  try {
    if (value === "auto") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, value);
  } catch {
    // not remembered
  }
}

/** What "auto" means on this device before any frame is drawn. */
export function deviceIsWeak(nav = navigator) {
  const cores = nav.hardwareConcurrency || 8;
  const memory = nav.deviceMemory || 8;
  return cores <= 4 || memory <= 4;
}

export function initialQuality(setting = qualitySetting()) {
  if (setting !== "auto") return setting;
  return deviceIsWeak() ? "low" : "high";
}

/**
 * Watch the first frames; `onSlow()` is called once if their median is slower than 25 fps.
 * Returns a function to call with each frame's duration in milliseconds.
 */
export function fpsProbe(onSlow) {
  const samples = [];
  let done = false;
  return (ms) => {
    if (done) return;
    samples.push(ms);
    if (samples.length < PROBE_FRAMES) return;
    done = true;
    samples.sort((a, b) => a - b);
    if (samples[samples.length >> 1] > SLOW_FRAME_MS) onSlow(samples[samples.length >> 1]);
  };
}
