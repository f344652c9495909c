// The inclusion figures' part in the browser: tell the server, with `usage`, which ways of using
// the street this session has on (list mode, language, larger text, narration) and a coarse
// device class. Sent after each welcome and again, 2 s after the last change, when one of them
// changed. Nothing that tells one browser from another is sent: no user agent, no screen size,
// only one of three device classes (docs/privacy.md).

import { MsgType } from "../protocol.js";
import { currentLang, onLang } from "./i18n.js";
import { currentPrefs, onPrefs } from "./prefs.js";
import { onSpoken } from "./speech.js";

const SETTLE_MS = 2000; // a visitor trying text sizes sends one message, within the rate limit

/** "phone", "tablet" or "desktop": a touch screen (coarse pointer) by its shorter side. */
export function deviceClass(win = window) {
  const coarse = win.matchMedia?.("(pointer: coarse)").matches ?? false;
  if (!coarse) return "desktop";
  return Math.min(win.innerWidth, win.innerHeight) < 600 ? "phone" : "tablet";
}

/** Start reporting for `conn` in `mode` ("3d" or "list"). */
export function startUsage(conn, mode) {
  let narration = false;
  let sent = null;
  let timer = null;
  const now = () => ({
    list_mode: mode === "list",
    lang: currentLang(),
    larger_text: currentPrefs().text !== "normal",
    narration,
    device: deviceClass(),
  });
  const send = () => {
    clearTimeout(timer);
    timer = null;
    const usage = now();
    if (sent !== null && JSON.stringify(usage) === JSON.stringify(sent)) return;
    if (conn.send(MsgType.USAGE, usage)) sent = usage;
  };
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(send, SETTLE_MS);
  };
  conn.addEventListener("welcome", () => {
    sent = null; // a new session: the server counts it afresh
    send();
  });
  onLang(changed);
  onPrefs(changed);
  onSpoken(() => {
    if (narration) return;
    narration = true;
    changed();
  });
  window.addEventListener("resize", changed);
}
