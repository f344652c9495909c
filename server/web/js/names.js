// One name per visitor: chosen once in this browser (a friendly default such as
// "ผู้มาเยือน ๔๑๘๙"), sent in every hello (the avatar label and chat) and stored on the server as
// the nickname (the leaderboards), changed in one place: the settings' name form.

import { MsgType } from "../protocol.js";
import { announce, el } from "./dom.js";
import { t } from "./i18n.js";
import { updateVisitor } from "./identity.js";
import { ask } from "./panels.js";

/** How long after a welcome the server may still tell a stored name before this browser's
 * name is sent as the nickname. */
const SYNC_AFTER_MS = 1500;

/**
 * One name for this visitor: the name this browser says hello with (over the avatar, in chat)
 * and the nickname the server keeps (on the leaderboards). On entering, a server that has a
 * stored nickname says so (`nickname`): this browser adopts it. Otherwise, once, this
 * browser's name becomes the nickname, so a name chosen before entering reaches the boards too
 * (without one, the boards show the default made from the visitor id, as this browser does).
 */
export function keepOneName(conn, state, visitor) {
  let timer = null;
  state.addEventListener("change", (e) => {
    const { what, name, fromServer } = e.detail;
    if (what === "my_name" && fromServer && name) {
      clearTimeout(timer);
      visitor.name = name;
      visitor.name_synced = name;
      updateVisitor(visitor);
    }
    if (what === "welcome") {
      clearTimeout(timer);
      timer = setTimeout(() => syncName(conn, visitor), SYNC_AFTER_MS);
    }
  });
  if (state.me) timer = setTimeout(() => syncName(conn, visitor), SYNC_AFTER_MS);
}

async function syncName(conn, visitor) {
  if (visitor.name_synced === visitor.name || !conn.online) return;
  let reply;
  try {
    reply = await conn.request(MsgType.SET_NICKNAME, { name: visitor.name });
  } catch {
    return; // offline: the next welcome tries again
  }
  if (reply.type !== MsgType.NICKNAME) return;
  visitor.name_synced = visitor.name;
  updateVisitor(visitor);
}

/** The visitor's own name changed: everything on this page that shows it follows at once. */
function showMyName(state, name) {
  if (state.me) state.me.name = name;
  state.changed("my_name", { name });
}

/**
 * The name form: saved on the server (set_nickname) and in this browser, so the next hello
 * uses it too; the page shows the new name at once.
 */
export function nicknameForm(conn, state, visitor, { id = "nick-input" } = {}) {
  const hintId = `${id}-hint`;
  const input = el("input", {
    id,
    maxlength: 24,
    value: visitor.name,
    autocomplete: "nickname",
    required: true,
    "aria-describedby": hintId,
  });
  input.value = visitor.name;
  // why a name was refused, next to it (the server names the rule: spaces, invisible, marks)
  const problem = el("p", { class: "field-problem", role: "alert" });
  const form = el(
    "form",
    { class: "nick-form" },
    el("label", { for: id, text: t("displayName") }),
    el("p", { id: hintId, class: "field-hint", text: t("displayNameHint") }),
    el(
      "div",
      { class: "row" },
      input,
      el("button", {
        type: "submit",
        class: "primary",
        "data-key": "nick-save",
        text: t("setNickname"),
      }),
    ),
    problem,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = input.value.trim();
    if (!name) {
      announce(t("badName"), { tone: "warn" });
      input.focus();
      return;
    }
    const reply = await ask(conn, state, MsgType.SET_NICKNAME, { name }, { shown: problem });
    if (!reply) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    problem.textContent = "";
    input.removeAttribute("aria-invalid");
    visitor.name = reply.name || name; // as stored: trimmed, NFC
    visitor.name_synced = visitor.name;
    input.value = visitor.name;
    updateVisitor(visitor);
    showMyName(state, visitor.name);
    announce(`${t("nicknameSaved")}: ${visitor.name}`, { tone: "good" });
  });
  return form;
}
