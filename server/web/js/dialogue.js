// The dialogue space (สานเสวนา) at the Municipality: the city's questions in a dialog, Thai
// first. A visitor standing near the Municipality votes (and may change the vote until the
// question closes), writes one short opinion, supports others' opinions and reports one; the
// server decides everything (reach, once-only, the word filter, the reward) and answers with
// the question's card (`dialogue`), which is all this module draws.

import { ErrorCode, LIMITS, MsgType, ReportReason } from "../protocol.js";
import { announce, el, fill } from "./dom.js";
import { currentLang, pick, pickOther } from "./i18n.js";
import { errorText } from "./panels.js";

/** The landmark the dialogue stands at (srichan_world/world/dialogue.py MUNICIPALITY). */
export const DIALOGUE_LANDMARK = "khon-kaen-municipality";

const S = {
  title: ["สานเสวนา", "Dialogue"],
  open: ["💬 สานเสวนา: ร่วมแสดงความเห็น", "💬 Dialogue: have your say"],
  kicker: ["เทศบาลนครขอนแก่นอยากฟังความเห็นของคุณ", "Khon Kaen Municipality wants to hear from you"],
  close: ["ปิด", "Close"],
  loading: ["กำลังโหลด…", "Loading…"],
  none: ["ตอนนี้ยังไม่มีคำถามจากเมือง", "No question from the city right now"],
  openUntil: ["เปิดรับถึง", "Open until"],
  opens: ["เปิดรับตั้งแต่", "Opens"],
  closed: ["ปิดรับแล้ว", "Closed"],
  reward: ["ร่วมครั้งแรกรับ {n} โทเค็น", "Take part to earn {n} tokens (once)"],
  poll: ["ลงคะแนน", "Vote"],
  vote: ["ลงคะแนน", "Vote"],
  changeVote: ["เปลี่ยนคะแนน", "Change my vote"],
  yourVote: ["คุณเลือกแล้ว (เปลี่ยนได้จนปิดรับ)", "Your vote (you may change it until close)"],
  results: ["ผลการลงคะแนน", "Results"],
  votes: ["{n} เสียง", "{n} votes"],
  resultsLater: ["ผลจะแสดงหลังคุณร่วมลงคะแนนหรือแสดงความเห็น", "Results show once you take part"],
  opinionLabel: ["ความเห็นของคุณ", "Your opinion"],
  opinionHint: ["ไม่เกิน {n} ตัวอักษร สุภาพ และไม่ระบุข้อมูลส่วนตัว", "Up to {n} characters"],
  send: ["ส่งความเห็น", "Send my opinion"],
  opinionDone: ["คุณแสดงความเห็นแล้ว ขอบคุณ", "You have given your opinion. Thank you."],
  opinions: ["ความเห็นจากผู้มาเยือน", "Opinions from visitors"],
  noOpinions: ["ยังไม่มีความเห็น", "No opinions yet"],
  support: ["สนับสนุน", "Support"],
  supported: ["สนับสนุนแล้ว", "Supported"],
  supports: ["ผู้สนับสนุน {n}", "{n} supporters"],
  mine: ["ความเห็นของคุณ", "Your opinion"],
  report: ["รายงาน", "Report"],
  reportWhy: ["รายงานเพราะ", "Report because"],
  reported: ["ส่งรายงานถึงผู้ดูแลแล้ว ขอบคุณ", "Sent to the moderators. Thank you."],
  thanks: ["ขอบคุณที่ร่วมสานเสวนา +{n} โทเค็น", "Thank you for taking part: +{n} tokens"],
  thanksCapped: ["ขอบคุณที่ร่วมสานเสวนา (วันนี้ได้โทเค็นครบแล้ว)", "Thank you (today's tokens are used up)"],
  voted: ["บันทึกคะแนนแล้ว", "Vote saved"],
  tooFar: ["เดินไปที่เทศบาลนครขอนแก่นก่อน จึงจะร่วมได้", "Walk to the Municipality to take part"],
  notOpen: ["คำถามนี้ไม่ได้เปิดรับอยู่", "This question is not open"],
  exists: ["คุณแสดงความเห็นในคำถามนี้แล้ว", "You already gave your opinion here"],
  own: ["สนับสนุนความเห็นของตัวเองไม่ได้", "You cannot support your own opinion"],
  muted: ["ผู้ดูแลปิดการแสดงความเห็นของคุณชั่วคราว", "The moderators muted you for a while"],
  tooLong: ["ความเห็นยาวเกินไป", "The opinion is too long"],
  badText: ["ข้อความนี้ใช้ไม่ได้ ลองพิมพ์ใหม่", "This text cannot be used; type it again"],
  slowDown: ["ทำรายการถี่เกินไป กรุณารอสักครู่", "Too fast; wait a moment"],
};
const REASONS = [
  [ReportReason.SPAM, ["สแปม", "Spam"]],
  [ReportReason.HARASSMENT, ["ก่อกวน คุกคาม", "Harassment"]],
  [ReportReason.HATE, ["สร้างความเกลียดชัง", "Hate"]],
  [ReportReason.OTHER, ["อื่น ๆ", "Other"]],
];
const ERRORS = {
  [ErrorCode.DIALOGUE_TOO_FAR]: "tooFar",
  [ErrorCode.QUESTION_NOT_OPEN]: "notOpen",
  [ErrorCode.OPINION_EXISTS]: "exists",
  [ErrorCode.OWN_OPINION]: "own",
  [ErrorCode.MUTED]: "muted",
  [ErrorCode.TEXT_TOO_LONG]: "tooLong",
  [ErrorCode.BAD_TEXT]: "badText",
  [ErrorCode.RATE_LIMITED]: "slowDown",
};

const thanked = new WeakSet(); // connections whose reward notices this module announces

function s(key, n = null) {
  const text = S[key][currentLang() === "en" ? 1 : 0];
  return n === null ? text : text.replace("{n}", String(n));
}

function both(pair) {
  return pair[currentLang() === "en" ? 1 : 0];
}

/** The button that opens the dialogue, for the Municipality's card (null elsewhere). */
export function dialogueButton(state, conn, lm) {
  if (lm?.id !== DIALOGUE_LANDMARK || MsgType.DIALOGUE_GET === undefined) return null;
  if (state.unsupportedTypes.has(MsgType.DIALOGUE_GET)) return null;
  return el("button", {
    type: "button",
    class: "primary dialogue-open",
    "data-key": "dialogue-open",
    text: s("open"),
    onclick: () => openDialogue(state, conn),
  });
}

/** A request; the reply, or null after telling the visitor why (in their language). */
async function send(conn, state, type, fields) {
  let reply;
  try {
    reply = await conn.request(type, fields);
  } catch {
    return null;
  }
  if (reply.type !== MsgType.ERROR) return reply;
  if (reply.code === ErrorCode.UNSUPPORTED) state.markUnsupported(type);
  announce(ERRORS[reply.code] ? s(ERRORS[reply.code]) : errorText(reply.code), { tone: "warn" });
  return null;
}

function dialogEl() {
  let dialog = document.getElementById("dialogue-dialog");
  if (!dialog) {
    dialog = el("dialog", {
      id: "dialogue-dialog",
      class: "dialog dialogue",
      "aria-labelledby": "dialogue-title",
    });
    document.body.append(dialog);
  }
  return dialog;
}

/** Open the dialog and draw the city's questions as the server sends them. */
export async function openDialogue(state, conn) {
  const dialog = dialogEl();
  const opener = document.activeElement;
  const list = el("div", { class: "dialogue-list", "aria-live": "polite" }, s("loading"));
  const closeBtn = el("button", {
    type: "button",
    class: "secondary",
    "data-key": "dialogue-close",
    text: s("close"),
    onclick: () => dialog.close(),
  });
  fill(
    dialog,
    el(
      "div",
      { class: "dialog-body" },
      el(
        "div",
        { class: "dialog-head" },
        el("h2", { id: "dialogue-title", text: s("title") }),
        closeBtn,
      ),
      el("p", { class: "kicker", text: s("kicker") }),
      list,
    ),
  );
  dialog.addEventListener("close", () => opener?.isConnected && opener.focus(), { once: true });
  dialog.showModal();
  const reply = await send(conn, state, MsgType.DIALOGUE_GET, {});
  if (!reply) return;
  const cards = new Map(reply.questions.map((q) => [q.id, q]));
  const draw = () => {
    const nodes = [...cards.values()].map((q) => card(q, act));
    fill(list, ...(nodes.length ? nodes : [el("p", { text: s("none") })]));
  };
  const act = async (type, fields, done) => {
    const answer = await send(conn, state, type, fields);
    if (!answer) return;
    if (answer.type === MsgType.DIALOGUE) {
      for (const q of answer.questions) cards.set(q.id, q);
      draw();
      list.querySelector(`[data-question="${CSS.escape(fields.question)}"] h3`)?.focus();
    }
    if (done) announce(done, { tone: "good" });
  };
  if (!thanked.has(conn)) {
    thanked.add(conn);
    conn.addEventListener("dialogue_thanks", ({ detail }) =>
      announce(detail.reward ? s("thanks", detail.reward) : s("thanksCapped"), { tone: "good" }),
    );
  }
  draw();
}

function when(seconds) {
  const locale = currentLang() === "en" ? "en-GB" : "th-TH";
  return new Date(seconds * 1000).toLocaleString(locale, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "Asia/Bangkok",
  });
}

function card(q, act) {
  const isOpen = q.state === 1;
  const status =
    q.state === 0
      ? `${s("opens")} ${when(q.opens_at)}`
      : isOpen
        ? `${s("openUntil")} ${when(q.closes_at)}`
        : s("closed");
  return el(
    "article",
    { class: "dialogue-card", "data-question": q.id, "aria-labelledby": `dq-${q.id}` },
    el("h3", { id: `dq-${q.id}`, tabindex: "-1", text: pick(q.title) }),
    el("p", {
      class: "other-lang",
      lang: currentLang() === "en" ? "th" : "en",
      text: pickOther(q.title),
    }),
    el("p", { class: "dialogue-about", text: pick(q.description) }),
    el(
      "p",
      { class: "dialogue-status" },
      status,
      isOpen && q.reward ? ` · ${s("reward", q.reward)}` : "",
    ),
    q.options.length ? poll(q, isOpen, act) : null,
    q.opinions && isOpen ? opinionForm(q, act) : null,
    q.shown ? opinionList(q, isOpen, act) : null,
  );
}

function poll(q, isOpen, act) {
  const name = `poll-${q.id}`;
  const choices = q.options.map((option, i) =>
    el(
      "label",
      { class: "choice" },
      el("input", {
        type: "radio",
        name,
        value: String(i),
        checked: q.my_vote === i,
        disabled: !isOpen,
      }),
      el("span", { text: pick(option) }),
    ),
  );
  const form = el(
    "form",
    {
      class: "dialogue-poll",
      onsubmit: (event) => {
        event.preventDefault();
        const picked = form.querySelector("input:checked");
        if (picked)
          act(MsgType.DIALOGUE_VOTE, { question: q.id, option: Number(picked.value) }, s("voted"));
      },
    },
    el("fieldset", {}, el("legend", { text: s("poll") }), ...choices),
    q.my_vote !== null ? el("p", { class: "dialogue-note", text: `✓ ${s("yourVote")}` }) : null,
    isOpen
      ? el("button", {
          type: "submit",
          class: "primary",
          "data-key": `vote-${q.id}`,
          text: q.my_vote === null ? s("vote") : s("changeVote"),
        })
      : null,
  );
  return el(
    "div",
    {},
    form,
    q.votes ? results(q) : el("p", { class: "dialogue-note", text: s("resultsLater") }),
  );
}

function results(q) {
  const total = q.votes.reduce((a, b) => a + b, 0);
  return el(
    "section",
    { class: "dialogue-results", "aria-label": s("results") },
    el("h4", { text: s("results") }),
    el(
      "ul",
      {},
      ...q.options.map((option, i) => {
        const share = total ? Math.round((q.votes[i] / total) * 100) : 0;
        return el(
          "li",
          { class: "result-row" },
          el("span", { class: "result-label", text: pick(option) }),
          el("span", { class: "result-count", text: `${s("votes", q.votes[i])} (${share}%)` }),
          el("span", { class: "result-bar", "aria-hidden": "true", style: `--share: ${share}%` }),
        );
      }),
    ),
  );
}

function opinionForm(q, act) {
  if (q.my_opinion !== null)
    return el("p", { class: "dialogue-note", text: `✓ ${s("opinionDone")}` });
  const id = `op-${q.id}`;
  const box = el("textarea", {
    id,
    rows: "3",
    maxlength: String(LIMITS.OPINION_MAX_CHARS),
    "aria-describedby": `${id}-hint`,
  });
  const form = el(
    "form",
    {
      class: "dialogue-opinion",
      onsubmit: (event) => {
        event.preventDefault();
        if (box.value.trim()) act(MsgType.DIALOGUE_OPINION, { question: q.id, text: box.value });
      },
    },
    el("label", { for: id, text: s("opinionLabel") }),
    el("p", {
      id: `${id}-hint`,
      class: "dialogue-note",
      text: s("opinionHint", LIMITS.OPINION_MAX_CHARS),
    }),
    box,
    el("button", { type: "submit", class: "primary", "data-key": `send-${q.id}`, text: s("send") }),
  );
  return form;
}

function opinionList(q, isOpen, act) {
  const items = q.shown.map((o) =>
    el(
      "li",
      { class: o.mine ? "opinion mine" : "opinion" },
      el(
        "p",
        { class: "opinion-who" },
        el("strong", { text: o.name || "—" }),
        o.mine ? ` · ${s("mine")}` : "",
      ),
      el("p", { class: "opinion-text", text: o.text }),
      el(
        "div",
        { class: "row" },
        el("span", { class: "opinion-supports", text: s("supports", o.supports) }),
        isOpen && !o.mine
          ? el("button", {
              type: "button",
              class: "secondary",
              "data-key": `support-${q.id}-${o.number}`,
              "aria-pressed": o.supported ? "true" : "false",
              disabled: o.supported,
              text: o.supported ? `✓ ${s("supported")}` : `👍 ${s("support")}`,
              onclick: () => act(MsgType.DIALOGUE_SUPPORT, { question: q.id, opinion: o.number }),
            })
          : null,
        o.mine ? null : reportMenu(q, o, act),
      ),
    ),
  );
  return el(
    "section",
    { class: "dialogue-opinions", "aria-label": s("opinions") },
    el("h4", { text: s("opinions") }),
    items.length ? el("ul", {}, ...items) : el("p", { text: s("noOpinions") }),
  );
}

function reportMenu(q, o, act) {
  return el(
    "details",
    { class: "opinion-report" },
    el("summary", { text: s("report") }),
    el(
      "div",
      { class: "row", role: "group", "aria-label": s("reportWhy") },
      ...REASONS.map(([reason, label]) =>
        el("button", {
          type: "button",
          class: "secondary",
          text: both(label),
          onclick: () =>
            act(
              MsgType.DIALOGUE_REPORT,
              { question: q.id, opinion: o.number, reason },
              s("reported"),
            ),
        }),
      ),
    ),
  );
}
