// A confirmation dialog for things that cannot be undone (spending tokens): a title, the facts
// as label/value rows, and two buttons. Resolves true only on the confirm button; Escape,
// Cancel and closing resolve false. Focus starts on Cancel (the safe choice) and goes back to
// whatever had it before.

import { el, fill } from "./dom.js";
import { t } from "./i18n.js";

/** `rows`: [[label, value], ...]; returns a promise of true (confirmed) or false. */
export function confirmDialog({ title, rows, confirmText, cancelText = t("cancel") }) {
  const dialog = document.getElementById("confirm-dialog");
  const opener = document.activeElement;
  return new Promise((resolve) => {
    let answer = false;
    const cancel = el("button", {
      type: "button",
      class: "secondary",
      "data-key": "confirm-cancel",
      text: cancelText,
      onclick: () => dialog.close(),
    });
    const ok = el("button", {
      type: "button",
      class: "primary",
      "data-key": "confirm-ok",
      text: confirmText,
      onclick: () => {
        answer = true;
        dialog.close();
      },
    });
    fill(
      dialog,
      el(
        "div",
        { class: "dialog-body" },
        el("h2", { id: "confirm-title", text: title }),
        el(
          "dl",
          { class: "facts" },
          ...rows.flatMap(([label, value]) => [
            el("dt", { text: label }),
            el("dd", { text: value }),
          ]),
        ),
        el("div", { class: "actions" }, cancel, ok),
      ),
    );
    dialog.addEventListener(
      "close",
      () => {
        if (opener?.isConnected) opener.focus();
        resolve(answer);
      },
      { once: true },
    );
    dialog.showModal();
    cancel.focus();
  });
}
