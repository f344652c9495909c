// The one place for the visitor's choices: their name, language, text size, contrast, the mode
// (3D or list) and, in 3D, the graphics quality. The 3D mode shows it in the panel dialog, the
// list mode as a section; both build it here.

import { el } from "./dom.js";
import { currentLang, setLang, t } from "./i18n.js";
import { nicknameForm } from "./names.js";
import { TEXT_SIZES, currentPrefs, setPref } from "./prefs.js";
import { qualitySetting, setQualitySetting } from "./quality.js";

const MODE_KEY = "srichan.mode";

/** Reload in the other mode, remembering the choice. */
export function switchMode(to) {
  try {
    localStorage.setItem(MODE_KEY, to);
  } catch {
    // The address below still carries the choice.
  }
  const url = new URL(location.href);
  url.searchParams.set("mode", to);
  location.assign(url);
}

function reloadWithQuality(value) {
  setQualitySetting(value);
  const url = new URL(location.href);
  url.searchParams.delete("quality");
  location.assign(url);
}

/** A group of big radio options: each whole label is the tap target. */
function radioGroup(name, legend, options, current, onPick) {
  return el(
    "fieldset",
    { class: "options" },
    el("legend", { text: legend }),
    ...options.map(([value, label, lang]) =>
      el(
        "label",
        { class: "option", lang: lang || null },
        el("input", {
          type: "radio",
          name,
          value,
          checked: value === current,
          onchange: () => onPick(value),
        }),
        el("span", { text: label }),
      ),
    ),
  );
}

/**
 * The settings' content. `mode` is "3d" or "list"; `onWelcome()` shows the welcome again.
 * `prefix` keeps ids unique where two copies could exist.
 */
export function settingsView({ conn, state, visitor, mode, onWelcome, prefix = "set" }) {
  const prefs = currentPrefs();
  const wrap = el("div", { class: "settings" });
  wrap.append(
    nicknameForm(conn, state, visitor, { id: `${prefix}-nick` }),
    radioGroup(
      `${prefix}-lang`,
      t("language"),
      [
        ["th", "ไทย", "th"],
        ["en", "English", "en"],
      ],
      currentLang(),
      (v) => setLang(v),
    ),
    radioGroup(
      `${prefix}-text`,
      t("textSize"),
      TEXT_SIZES.map((v) => [v, t(`text_${v}`)]),
      prefs.text,
      (v) => setPref("text", v),
    ),
    el(
      "label",
      { class: "option check" },
      el("input", {
        type: "checkbox",
        checked: prefs.contrast === "high",
        onchange: (e) => setPref("contrast", e.target.checked ? "high" : "normal"),
      }),
      el("span", { text: t("contrast") }),
    ),
  );
  if (mode === "3d") {
    wrap.append(
      radioGroup(
        `${prefix}-quality`,
        t("quality"),
        [
          ["auto", t("qualityAuto")],
          ["high", t("qualityHigh")],
          ["low", t("qualityLow")],
        ],
        qualitySetting(),
        reloadWithQuality,
      ),
    );
  }
  wrap.append(
    el(
      "div",
      { class: "settings-actions" },
      el("button", {
        type: "button",
        class: "secondary",
        "data-key": "switch-mode",
        text: mode === "list" ? t("mode3d") : t("listMode"),
        onclick: () => switchMode(mode === "list" ? "3d" : "list"),
      }),
      onWelcome
        ? el("button", {
            type: "button",
            class: "secondary",
            "data-key": "show-welcome",
            text: t("showWelcome"),
            onclick: onWelcome,
          })
        : null,
    ),
  );
  return wrap;
}
