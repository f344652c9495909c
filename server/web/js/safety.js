// Keeping the visitor safe: mute or block another avatar (at once, on this device, remembered
// in localStorage), report an avatar or one chat line to the moderators, and the moderators'
// notices (a warning, a mute, a kick, a ban), always with their reason in Thai and English.
//
// Muting hides a person's chat; blocking also hides their avatar. Both go by the display name,
// the one thing a visitor sees that lasts across visits (avatar ids change every visit); the
// city's moderators act on the visitor identity instead (see docs/operators.md).

import { ErrorCode, MsgType, NoticeKind, ReportReason, ReportTarget } from "../protocol.js";
import { announce, el, fill } from "./dom.js";
import { currentLang } from "./i18n.js";

const STORAGE_KEY = "srichan.safety";

const TEXT = {
  options: ["ตัวเลือกสำหรับ {name}", "Options for {name}"],
  mute: ["ปิดเสียงแชทของคนนี้", "Mute this person's chat"],
  unmute: ["เปิดเสียงแชทของคนนี้", "Unmute"],
  block: ["บล็อก (ซ่อนแชทและตัวละคร)", "Block (hide their chat and avatar)"],
  unblock: ["เลิกบล็อก", "Unblock"],
  report: ["รายงานต่อผู้ดูแล", "Report to the moderators"],
  reportBooth: ["รายงานซุ้มนี้ต่อผู้ดูแล", "Report this booth to the moderators"],
  reportWhat: ["รายงานอะไร", "What to report"],
  thisMessage: ["ข้อความนี้", "This message"],
  thisPerson: ["คนนี้", "This person"],
  reason: ["เหตุผล", "Reason"],
  note: ["รายละเอียดเพิ่มเติม (ไม่บังคับ)", "More detail (optional)"],
  send: ["ส่งรายงาน", "Send the report"],
  close: ["ปิด", "Close"],
  ok: ["รับทราบ", "OK"],
  muted: ["ปิดเสียง {name} แล้ว", "{name} is muted"],
  blocked: ["บล็อก {name} แล้ว", "{name} is blocked"],
  restored: ["เลิกปิดกั้น {name} แล้ว", "{name} is shown again"],
  thanks: ["ขอบคุณ ผู้ดูแลจะตรวจสอบรายงานนี้", "Thank you: the moderators will look at this report"],
  failed: ["ส่งรายงานไม่สำเร็จ กรุณาลองใหม่", "The report could not be sent; try again"],
  youAreMuted: [
    "ผู้ดูแลปิดการแชทของคุณชั่วคราว ส่งข้อความไม่ได้",
    "The moderators muted your chat for now: the message was not sent",
  ],
  minutes: ["อีกประมาณ {n} นาที", "about {n} more minutes"],
  noticeTitle: ["ข้อความจากผู้ดูแล", "From the moderators"],
  SPAM: ["ส่งข้อความซ้ำหรือโฆษณา", "Spam or advertising"],
  HARASSMENT: ["ก่อกวนหรือคุกคาม", "Harassment or bullying"],
  HATE: ["ถ้อยคำแสดงความเกลียดชัง", "Hateful words"],
  SEXUAL: ["เนื้อหาทางเพศ", "Sexual content"],
  SCAM: ["หลอกลวง", "A scam"],
  OTHER: ["อื่น ๆ", "Something else"],
};

function tt(key, vars = null) {
  const [th, en] = TEXT[key];
  const text = currentLang() === "th" ? th : en;
  return vars ? text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? "")) : text;
}

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}");
    return { muted: new Set(saved.muted || []), blocked: new Set(saved.blocked || []) };
  } catch {
    return { muted: new Set(), blocked: new Set() };
  }
}

const lists = load();

function save() {
  try {
    const data = { muted: [...lists.muted], blocked: [...lists.blocked] };
    localStorage.setItem(STORAGE_KEY, JSON.stringify(data));
  } catch {
    // private browsing: the choice holds for this visit only
  }
}

/** Whether this visitor chose not to see `name`'s chat (muted or blocked). */
export function hidesChat(name) {
  return lists.muted.has(name) || lists.blocked.has(name);
}

/** Whether this visitor blocked `name` (their avatar is not drawn either). */
export function isBlocked(name) {
  return lists.blocked.has(name);
}

/**
 * The options dialog for another avatar, the moderators' notices, and the chat refusals when
 * muted. `state` gets a "safety" change whenever the lists change.
 */
export class Safety {
  constructor(conn, state) {
    this.conn = conn;
    this.state = state;
    this.dialog = el("dialog", { id: "safety-dialog", class: "dialog safety" });
    this.noticeDialog = el("dialog", {
      id: "notice-dialog",
      class: "dialog notice",
      role: "alertdialog",
      "aria-labelledby": "notice-title",
      "aria-describedby": "notice-text",
    });
    document.body.append(this.dialog, this.noticeDialog);
    conn.addEventListener("notice", (e) => this.showNotice(e.detail));
    conn.addEventListener("error", (e) => {
      if (e.detail.code === ErrorCode.MUTED) announce(tt("youAreMuted"), { tone: "bad", ms: 6000 });
    });
  }

  setList(kind, name, on) {
    const other = kind === "muted" ? "blocked" : "muted";
    if (on) {
      lists[kind].add(name);
      lists[other].delete(name);
    } else {
      lists.muted.delete(name);
      lists.blocked.delete(name);
    }
    save();
    this.state.changed("safety", { name });
    announce(tt(on ? kind : "restored", { name }));
  }

  /** A small button that opens the options for `name` (avatar `avatarId`, saying `said`). */
  button(avatarId, name, said = null) {
    return el(
      "button",
      {
        type: "button",
        class: "safety-btn",
        "aria-label": tt("options", { name }),
        title: tt("options", { name }),
        onclick: (e) => this.open({ avatarId, name, said }, e.currentTarget),
      },
      el("span", { "aria-hidden": "true", text: "⋯" }),
    );
  }

  /** The report form for booth `slot` (shown as `name`). */
  reportBooth(slot, name, opener) {
    this.open({ slot, name, said: null }, opener);
  }

  /** Options for an avatar (`avatarId`, `name`, perhaps a line it `said`) or a booth (`slot`). */
  open({ avatarId = null, name, said = null, slot = null }, opener) {
    const muted = lists.muted.has(name);
    const blocked = lists.blocked.has(name);
    const done = () => {
      this.dialog.close();
      opener?.focus();
    };
    const status = el("p", { class: "safety-status", role: "status", "aria-live": "polite" });
    const what = said
      ? el(
          "fieldset",
          { class: "safety-what" },
          el("legend", { text: tt("reportWhat") }),
          this.radio("what", "chat", tt("thisMessage"), true),
          this.radio("what", "avatar", tt("thisPerson"), false),
        )
      : null;
    const reasons = el(
      "fieldset",
      { class: "safety-reasons" },
      el("legend", { text: tt("reason") }),
      ...Object.keys(ReportReason).map((key, i) =>
        this.radio("reason", String(ReportReason[key]), tt(key), i === 0),
      ),
    );
    const note = el("textarea", { id: "safety-note", rows: "2", maxlength: "200" });
    const form = el(
      "form",
      {
        class: "safety-report",
        onsubmit: async (e) => {
          e.preventDefault();
          const data = new FormData(form);
          const chat = said && data.get("what") === "chat";
          const target = slot ? ReportTarget.BOOTH : ReportTarget.AVATAR;
          const fields = {
            target: chat ? ReportTarget.CHAT : target,
            reason: Number(data.get("reason")),
            avatar: slot ? null : avatarId,
            slot,
            said: chat ? said : null,
            note: note.value.trim() || null,
          };
          try {
            const reply = await this.conn.request(MsgType.REPORT, fields);
            if (reply.type !== MsgType.REPORTED) throw new Error(reply.message);
            status.textContent = tt("thanks");
            form.querySelector("button[type=submit]").disabled = true;
          } catch {
            status.textContent = tt("failed");
          }
        },
      },
      el("h3", { text: tt(slot ? "reportBooth" : "report") }),
      what,
      reasons,
      el("label", { for: "safety-note", text: tt("note") }),
      note,
      el("button", { type: "submit", class: "primary", text: tt("send") }),
      status,
    );
    fill(
      this.dialog,
      el(
        "div",
        { class: "dialog-body" },
        el(
          "div",
          { class: "dialog-head" },
          el("h2", { id: "safety-title", text: name }),
          el("button", { type: "button", class: "secondary", text: tt("close"), onclick: done }),
        ),
        said ? el("blockquote", { class: "safety-said", text: said }) : null,
        slot
          ? null
          : el(
              "div",
              { class: "safety-actions" },
              el("button", {
                type: "button",
                class: "secondary",
                text: tt(muted ? "unmute" : "mute"),
                onclick: () => {
                  this.setList("muted", name, !muted);
                  done();
                },
              }),
              el("button", {
                type: "button",
                class: "secondary",
                text: tt(blocked ? "unblock" : "block"),
                onclick: () => {
                  this.setList("blocked", name, !blocked);
                  done();
                },
              }),
            ),
        form,
      ),
    );
    this.dialog.setAttribute("aria-labelledby", "safety-title");
    this.dialog.showModal();
  }

  radio(group, value, label, checked) {
    const id = `safety-${group}-${value}`;
    return el(
      "label",
      { class: "choice", for: id },
      el("input", { type: "radio", name: group, value, id, checked }),
      el("span", { text: label }),
    );
  }

  showNotice(msg) {
    // removed by a moderator: the close that follows is not retried (a reload comes back)
    if (msg.kind === NoticeKind.KICK || msg.kind === NoticeKind.BAN) this.conn.stayClosed();
    const primary = currentLang() === "th" ? msg.text.th : msg.text.en;
    const other = currentLang() === "th" ? msg.text.en : msg.text.th;
    const minutes = msg.until ? Math.ceil(msg.until / 60) : null;
    fill(
      this.noticeDialog,
      el(
        "div",
        { class: "dialog-body" },
        el("h2", { id: "notice-title", text: tt("noticeTitle") }),
        el(
          "div",
          { id: "notice-text" },
          el("p", { class: "notice-main", text: primary }),
          minutes ? el("p", { text: tt("minutes", { n: minutes }) }) : null,
          el("p", {
            class: "notice-other",
            lang: currentLang() === "th" ? "en" : "th",
            text: other,
          }),
        ),
        el("button", {
          type: "button",
          class: "primary",
          text: tt("ok"),
          onclick: () => this.noticeDialog.close(),
        }),
      ),
    );
    if (!this.noticeDialog.open) this.noticeDialog.showModal();
  }
}
