// The recovery code in the wallet: show this identity's code and QR (the server draws both from
// the id and secret this browser already sends in hello), or restore another identity from a
// typed or scanned code on a new device. The code is the identity itself (see
// srichan_world/world/recovery.py), so nothing new is kept anywhere. The wallet is drawn again
// on every change, so what the visitor has opened or typed lives here, not in the DOM.

import { confirmDialog } from "./confirm.js";
import { el } from "./dom.js";
import { pick, t } from "./i18n.js";
import { defaultName, loadVisitor, saveVisitor } from "./identity.js";

const SCAN_GIVE_UP_MS = 60_000;

const ui = {
  shown: null, // { visitorId, code, qrUrl } once fetched
  open: false, // the code is on screen
  restoring: false, // the restore form is open
  typed: "",
  message: null, // { tone, text } under the section
  scanning: null, // { stream, started }
};
let redraw = () => {};
let video = null; // one element, so a redraw while scanning keeps the camera's stream

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, data };
}

function say(tone, text) {
  ui.message = { tone, text };
  redraw();
}

async function showCode() {
  const visitor = loadVisitor();
  if (ui.shown?.visitorId !== visitor.visitor_id) {
    let answer;
    try {
      answer = await post("/api/account/recovery", {
        visitor_id: visitor.visitor_id,
        visitor_secret: visitor.visitor_secret,
      });
    } catch {
      return say("bad", t("recoveryFailed"));
    }
    if (!answer.ok) {
      return say("bad", answer.status === 404 ? t("recoveryNone") : pick(answer.data));
    }
    const svg = new Blob([answer.data.qr_svg], { type: "image/svg+xml" });
    ui.shown = {
      visitorId: visitor.visitor_id,
      code: answer.data.code,
      qrUrl: URL.createObjectURL(svg),
    };
  }
  ui.open = true;
  ui.message = null;
  redraw();
}

async function restore(state) {
  const code = ui.typed.trim();
  if (!code) return;
  let answer;
  try {
    answer = await post("/api/account/restore", { code });
  } catch {
    return say("bad", t("recoveryFailed"));
  }
  if (!answer.ok) return say("bad", answer.status === 429 ? t("recoveryBusy") : pick(answer.data));
  const current = loadVisitor();
  const { visitor_id: id, visitor_secret: secret } = answer.data;
  if (id !== current.visitor_id && (state.balance > 0 || state.coupons.length > 0)) {
    const sure = await confirmDialog({
      title: t("recoveryReplace"),
      rows: [[t("balance"), `${state.balance ?? 0} ${t("tokens")}`]],
      confirmText: t("recoveryRestore"),
    });
    if (!sure) return say("info", t("recoveryLoses"));
  }
  const keepName = current.name !== defaultName(current.visitor_id);
  saveVisitor({
    ...current,
    visitor_id: id,
    visitor_secret: secret,
    name: keepName ? current.name : defaultName(id),
  });
  ui.typed = "";
  say("good", t("recoveryDone"));
  setTimeout(() => location.reload(), 600);
}

function stopScan() {
  ui.scanning?.stream.getTracks().forEach((track) => track.stop());
  ui.scanning = null;
  redraw();
}

async function scan(state) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    return say("bad", t("recoveryNoCamera"));
  }
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  const mine = (ui.scanning = { stream, started: Date.now() });
  redraw();
  video.srcObject = stream;
  await video.play().catch(() => null);
  const look = async () => {
    if (ui.scanning !== mine) return;
    if (Date.now() - mine.started > SCAN_GIVE_UP_MS) return stopScan();
    const found = await detector.detect(video).catch(() => []);
    const text = found.map((c) => c.rawValue).find((v) => v && v.length >= 79);
    if (!text) return void setTimeout(look, 150);
    stopScan();
    ui.typed = text;
    await restore(state);
  };
  look();
}

function codeCard() {
  const { code, qrUrl } = ui.shown;
  return el(
    "div",
    { class: "recovery-code" },
    el("p", { class: "recovery-keep", text: t("recoveryKeep") }),
    el("img", { class: "qr", src: qrUrl, alt: t("recoveryQr"), width: 220, height: 220 }),
    el(
      "p",
      { class: "code-groups", lang: "en", translate: "no" },
      ...code.split("-").map((g) => el("span", { text: g })),
    ),
  );
}

function restoreForm(state) {
  const input = el("textarea", {
    id: "recovery-input",
    "data-key": "recovery-input",
    rows: 3,
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    lang: "en",
    oninput: (e) => (ui.typed = e.target.value),
  });
  input.value = ui.typed;
  video ??= el("video", { playsinline: true, muted: true, "aria-hidden": "true" });
  video.hidden = !ui.scanning;
  const canScan = "BarcodeDetector" in window && navigator.mediaDevices?.getUserMedia;
  return el(
    "form",
    {
      class: "recovery-form",
      onsubmit: (e) => {
        e.preventDefault();
        restore(state);
      },
    },
    el("label", { for: "recovery-input", text: t("recoveryInput") }),
    input,
    el(
      "p",
      { class: "recovery-actions" },
      el("button", { type: "submit", class: "primary", text: t("recoveryRestore") }),
      canScan
        ? el("button", {
            type: "button",
            class: "secondary",
            "data-key": "recovery-scan",
            text: ui.scanning ? t("recoveryScanStop") : t("recoveryScan"),
            onclick: () => (ui.scanning ? stopScan() : scan(state)),
          })
        : null,
    ),
    video,
  );
}

/** The wallet's recovery section (drawn again through the state's "wallet" change). */
export function recoveryView(state) {
  redraw = () => state.changed("wallet");
  const mine = ui.open && ui.shown?.visitorId === loadVisitor().visitor_id;
  return el(
    "section",
    { class: "recovery", "aria-labelledby": "recovery-title" },
    el("h3", { id: "recovery-title", text: t("recoveryTitle") }),
    el("p", { class: "recovery-why", text: t("recoveryWhy") }),
    el("button", {
      type: "button",
      class: "secondary",
      "data-key": "recovery-show",
      "aria-expanded": mine ? "true" : "false",
      text: mine ? t("recoveryHide") : t("recoveryShow"),
      onclick: () => (mine ? ((ui.open = false), redraw()) : showCode()),
    }),
    mine ? codeCard() : null,
    el("button", {
      type: "button",
      class: "secondary",
      "data-key": "recovery-have",
      "aria-expanded": ui.restoring ? "true" : "false",
      text: t("recoveryHave"),
      onclick: () => {
        ui.restoring = !ui.restoring;
        if (!ui.restoring && ui.scanning) stopScan();
        redraw();
      },
    }),
    ui.restoring ? restoreForm(state) : null,
    el(
      "p",
      { class: `recovery-message ${ui.message?.tone ?? ""}`, role: "status" },
      ui.message?.text ?? "",
    ),
  );
}
