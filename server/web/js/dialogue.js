// The dialogue space (สานเสวนา) at the Municipality: the city's questions in a dialog, Thai
// first. A visitor standing near the Municipality votes (and may change the vote until the
// question closes), writes one short opinion, supports others' opinions and reports one; the
// server decides everything (reach, once-only, the word filter, the reward) and answers with
// the question's card (`dialogue`), which is all this module draws.

import { ErrorCode, LIMITS, MsgType, ReportReason } from "../protocol.js";
import { announce, el, rerender } from "./dom.js";
import { currentLang, onLang, pick, pickOther, t } from "./i18n.js";
import { errorText } from "./panels.js";

/** The landmark the dialogue stands at (srichan_world/world/dialogue.py MUNICIPALITY). */
export const DIALOGUE_LANDMARK = "khon-kaen-municipality";

const REASONS = [
  [ReportReason.SPAM, "dialogueReportSpam"],
  [ReportReason.HARASSMENT, "dialogueReportHarassment"],
  [ReportReason.HATE, "dialogueReportHate"],
  [ReportReason.OTHER, "dialogueReportOther"],
];
const ERRORS = {
  [ErrorCode.DIALOGUE_TOO_FAR]: "dialogueTooFar",
  [ErrorCode.QUESTION_NOT_OPEN]: "dialogueNotOpen",
  [ErrorCode.OPINION_EXISTS]: "dialogueExists",
  [ErrorCode.OWN_OPINION]: "dialogueOwn",
  [ErrorCode.MUTED]: "dialogueMuted",
  [ErrorCode.TEXT_TOO_LONG]: "dialogueTooLong",
  [ErrorCode.BAD_TEXT]: "dialogueBadText",
  [ErrorCode.RATE_LIMITED]: "dialogueSlowDown",
};

const thanked = new WeakSet(); // connections whose reward notices this module announces

/** The button that opens the dialogue, for the Municipality's card (null elsewhere). */
export function dialogueButton(state, conn, lm) {
  if (lm?.id !== DIALOGUE_LANDMARK || MsgType.DIALOGUE_GET === undefined) return null;
  if (state.unsupportedTypes.has(MsgType.DIALOGUE_GET)) return null;
  return el("button", {
    type: "button",
    class: "primary dialogue-open",
    "data-key": "dialogue-open",
    text: t("dialogueOpen"),
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
  announce(ERRORS[reply.code] ? t(ERRORS[reply.code]) : errorText(reply.code), { tone: "warn" });
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

/**
 * Open the dialog and draw the city's questions as the server sends them; a change of language
 * while it is open draws it again in the new language.
 */
export async function openDialogue(state, conn) {
  const dialog = dialogEl();
  const opener = document.activeElement;
  const list = el("div", { class: "dialogue-list", "aria-live": "polite" }, t("dialogueLoading"));
  let cards = null; // question id -> card, once the server has answered
  const draw = () => {
    if (!cards) return;
    const nodes = [...cards.values()].map((q) => card(q, act));
    rerender(list, ...(nodes.length ? nodes : [el("p", { text: t("dialogueNone") })]));
  };
  const frame = () => {
    rerender(
      dialog,
      el(
        "div",
        { class: "dialog-body" },
        el(
          "div",
          { class: "dialog-head" },
          el("h2", { id: "dialogue-title", text: t("dialogueTitle") }),
          el("button", {
            type: "button",
            class: "secondary",
            "data-key": "dialogue-close",
            text: t("close"),
            onclick: () => dialog.close(),
          }),
        ),
        el("p", { class: "kicker", text: t("dialogueKicker") }),
        list,
      ),
    );
    if (cards) draw();
    else list.textContent = t("dialogueLoading");
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
  frame();
  const stop = onLang(frame);
  dialog.addEventListener(
    "close",
    () => {
      stop();
      if (opener?.isConnected) opener.focus();
    },
    { once: true },
  );
  dialog.showModal();
  if (!thanked.has(conn)) {
    thanked.add(conn);
    conn.addEventListener("dialogue_thanks", ({ detail }) =>
      announce(
        detail.reward ? t("dialogueThanks", { n: detail.reward }) : t("dialogueThanksCapped"),
        {
          tone: "good",
        },
      ),
    );
  }
  const reply = await send(conn, state, MsgType.DIALOGUE_GET, {});
  if (!reply || !dialog.open) return;
  cards = new Map(reply.questions.map((q) => [q.id, q]));
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
      ? `${t("dialogueOpens")} ${when(q.opens_at)}`
      : isOpen
        ? `${t("dialogueOpenUntil")} ${when(q.closes_at)}`
        : t("dialogueClosed");
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
      isOpen && q.reward ? ` · ${t("dialogueReward", { n: q.reward })}` : "",
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
          act(
            MsgType.DIALOGUE_VOTE,
            { question: q.id, option: Number(picked.value) },
            t("dialogueVoted"),
          );
      },
    },
    el("fieldset", {}, el("legend", { text: t("dialoguePoll") }), ...choices),
    q.my_vote !== null
      ? el("p", { class: "dialogue-note", text: `✓ ${t("dialogueYourVote")}` })
      : null,
    isOpen
      ? el("button", {
          type: "submit",
          class: "primary",
          "data-key": `vote-${q.id}`,
          text: q.my_vote === null ? t("dialogueVote") : t("dialogueChangeVote"),
        })
      : null,
  );
  return el(
    "div",
    {},
    form,
    q.votes ? results(q) : el("p", { class: "dialogue-note", text: t("dialogueResultsLater") }),
  );
}

function results(q) {
  const total = q.votes.reduce((a, b) => a + b, 0);
  return el(
    "section",
    { class: "dialogue-results", "aria-label": t("dialogueResults") },
    el("h4", { text: t("dialogueResults") }),
    el(
      "ul",
      {},
      ...q.options.map((option, i) => {
        const share = total ? Math.round((q.votes[i] / total) * 100) : 0;
        return el(
          "li",
          { class: "result-row" },
          el("span", { class: "result-label", text: pick(option) }),
          el("span", {
            class: "result-count",
            text: `${t("dialogueVotes", { n: q.votes[i] })} (${share}%)`,
          }),
          el("span", { class: "result-bar", "aria-hidden": "true", style: `--share: ${share}%` }),
        );
      }),
    ),
  );
}

function opinionForm(q, act) {
  if (q.my_opinion !== null)
    return el("p", { class: "dialogue-note", text: `✓ ${t("dialogueOpinionDone")}` });
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
    el("label", { for: id, text: t("dialogueOpinionLabel") }),
    el("p", {
      id: `${id}-hint`,
      class: "dialogue-note",
      text: t("dialogueOpinionHint", { n: LIMITS.OPINION_MAX_CHARS }),
    }),
    box,
    el("button", {
      type: "submit",
      class: "primary",
      "data-key": `send-${q.id}`,
      text: t("dialogueSend"),
    }),
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
        o.mine ? ` · ${t("dialogueMine")}` : "",
      ),
      el("p", { class: "opinion-text", text: o.text }),
      el(
        "div",
        { class: "row" },
        el("span", { class: "opinion-supports", text: t("dialogueSupports", { n: o.supports }) }),
        isOpen && !o.mine
          ? el("button", {
              type: "button",
              class: "secondary",
              "data-key": `support-${q.id}-${o.number}`,
              "aria-pressed": o.supported ? "true" : "false",
              disabled: o.supported,
              text: o.supported ? `✓ ${t("dialogueSupported")}` : `👍 ${t("dialogueSupport")}`,
              onclick: () => act(MsgType.DIALOGUE_SUPPORT, { question: q.id, opinion: o.number }),
            })
          : null,
        o.mine ? null : reportMenu(q, o, act),
      ),
    ),
  );
  return el(
    "section",
    { class: "dialogue-opinions", "aria-label": t("dialogueOpinions") },
    el("h4", { text: t("dialogueOpinions") }),
    items.length ? el("ul", {}, ...items) : el("p", { text: t("dialogueNoOpinions") }),
  );
}

function reportMenu(q, o, act) {
  return el(
    "details",
    { class: "opinion-report" },
    el("summary", { text: t("dialogueReport") }),
    el(
      "div",
      { class: "row", role: "group", "aria-label": t("dialogueReportWhy") },
      ...REASONS.map(([reason, label]) =>
        el("button", {
          type: "button",
          class: "secondary",
          text: t(label),
          onclick: () =>
            act(
              MsgType.DIALOGUE_REPORT,
              { question: q.id, opinion: o.number, reason },
              t("dialogueReported"),
            ),
        }),
      ),
    ),
  );
}
