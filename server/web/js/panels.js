// The views both modes share: quests, wallet with coupons, leaderboard, booths with their
// products and promotions, and the quiz dialog. Each builder returns fresh DOM from the state;
// callers re-render on the state's "change" events. Server text only ever goes in as text.

import { ErrorCode, FEATURE_OF, Feature, LIMITS, MsgType } from "../protocol.js";
import { announce, el, fill } from "./dom.js";
import { currentLang, onLang, pick, pickOther, t, toggleLang } from "./i18n.js";
import { randomToken, saveVisitor } from "./identity.js";

/**
 * How close to a booth the client brings the visitor before a redeem: the server's reach less
 * a margin, since the server judges the last position it accepted, a move or two behind.
 */
export const BOOTH_REACH_M = LIMITS.BOOTH_REACH_M - 0.5;

/** A visitor-facing sentence for an error code from the server. */
export function errorText(code) {
  switch (code) {
    case ErrorCode.TOO_FAR:
      return t("tooFar");
    case ErrorCode.COOLDOWN:
      return t("cooldown");
    case ErrorCode.NO_ATTEMPTS_LEFT:
      return t("noAttempts");
    case ErrorCode.DAILY_CAP:
      return t("dailyCap");
    case ErrorCode.INSUFFICIENT_TOKENS:
      return t("notEnoughTokens");
    case ErrorCode.SOLD_OUT:
      return t("soldOut");
    case ErrorCode.UNSUPPORTED:
      return t("comingSoonServer");
    case ErrorCode.ANSWER_REPLAYED:
      return t("quizDone");
    case ErrorCode.BAD_NAME:
      return t("badName");
    case ErrorCode.PROMOTION_NOT_STARTED:
      return t("promoNotStarted");
    case ErrorCode.PROMOTION_ENDED:
      return t("promoEnded");
    case ErrorCode.BOOTH_TOO_FAR:
      return t("boothTooFar");
    case ErrorCode.PROMOTION_CHANGED:
      return t("promoChanged");
    case ErrorCode.STORE_UNAVAILABLE:
      return t("storeUnavailable");
    default:
      return t("errorGeneric");
  }
}

/** Requests the store could not take are sent again this many times before giving up. */
export const STORE_RETRIES = 6;

/**
 * Milliseconds before retry `attempt` (1, 2, …) of a request refused with store_unavailable:
 * doubling from 1 s to 8 s, half of it random so many tabs do not retry in step (and slow
 * enough for the server's rate limits).
 */
export function retryDelayMs(attempt, random = Math.random) {
  const base = Math.min(8000, 1000 * 2 ** (attempt - 1));
  return base / 2 + random() * (base / 2);
}

/**
 * Send a request and return the reply, or announce why it failed and return null. A
 * store_unavailable reply is retried with the very same fields (a redeem keeps its key, an
 * answer its opening), so nothing is done twice.
 */
export async function ask(conn, state, type, fields) {
  let reply;
  for (let attempt = 1; ; attempt += 1) {
    try {
      reply = await conn.request(type, fields);
    } catch {
      announce(t("connOffline"), { tone: "warn" });
      return null;
    }
    const unavailable = reply.type === MsgType.ERROR && reply.code === ErrorCode.STORE_UNAVAILABLE;
    if (!unavailable || attempt > STORE_RETRIES) break;
    if (attempt === 1) announce(t("storeRetrying"), { tone: "warn" });
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt)));
  }
  if (reply.type === MsgType.ERROR) {
    if (reply.code === ErrorCode.UNSUPPORTED) {
      if (FEATURE_OF[type] === Feature.BOOTHS) state.boothsSupported = false;
      else state.learningSupported = false;
      state.changed("support");
    }
    announce(errorText(reply.code), { tone: "warn" });
    return null;
  }
  return reply;
}

/** "Answer · City Gate" (tracker) or, with `detail`, followed by the question itself. */
function stepLabel(state, step, detail = false) {
  const [kind, target] = Object.entries(step)[0];
  if (kind === "quiz") {
    const q = state.quizIndex.get(target);
    const lm = q && state.landmarkIndex.get(q.landmark);
    const where = `${t("stepQuiz")} · ${lm ? pick(lm.name) : target}`;
    return detail && q ? `${where}: ${pick(q.question)}` : where;
  }
  const lm = state.landmarkIndex.get(target);
  return `${t("stepVisit")} · ${lm ? pick(lm.name) : target}`;
}

/** Which steps of a quest are known done: ordered quests fill from the start. */
function stepsDone(state, quest, progress) {
  if (progress?.steps)
    return quest.steps.map((_, i) => progress.completed || progress.steps.includes(i));
  return quest.steps.map((step, i) => {
    if (progress?.completed) return true;
    if (quest.order === "ordered") return i < (progress?.done ?? 0);
    const [kind, target] = Object.entries(step)[0];
    return kind === "quiz" && state.quizzes.get(target)?.status === "correct";
  });
}

export function questProgress(state, quest) {
  const p = state.quests.get(quest.id);
  return { done: p?.done ?? 0, total: p?.total ?? quest.steps.length, completed: !!p?.completed };
}

/** All quests with their steps, for the quest panel and the list mode. */
export function questsView(state, { headingLevel = "h3" } = {}) {
  const list = el("ol", { class: "quests" });
  for (const quest of state.manifest.quests) {
    const p = questProgress(state, quest);
    const done = stepsDone(state, quest, state.quests.get(quest.id));
    const steps = el("ol", { class: "steps" });
    quest.steps.forEach((step, i) => {
      steps.append(
        el(
          "li",
          { class: done[i] ? "done" : "" },
          el("span", { class: "tick", "aria-hidden": "true", text: done[i] ? "✓" : "○" }),
          el("span", { text: stepLabel(state, step, true) }),
          done[i] ? el("span", { class: "sr-only", text: ` (${t("questDone")})` }) : null,
        ),
      );
    });
    list.append(
      el(
        "li",
        { class: p.completed ? "quest completed" : "quest" },
        el(headingLevel, { text: pick(quest.title) }),
        el("p", { class: "desc", text: pick(quest.description) }),
        el(
          "p",
          { class: "progress-line" },
          el("progress", { max: p.total, value: p.done, "aria-label": pick(quest.title) }),
          ` ${p.done}/${p.total}`,
          p.completed ? ` · ${t("questDone")}` : "",
          quest.bonus ? ` · ${t("questBonus")} +${quest.bonus} ${t("tokens")}` : "",
        ),
        steps,
      ),
    );
  }
  return list;
}

/** The one quest to show in the compact HUD tracker: the first not completed. */
export function currentQuest(state) {
  return state.manifest.quests.find((q) => !questProgress(state, q).completed) || null;
}

export function nextStepText(state, quest) {
  const done = stepsDone(state, quest, state.quests.get(quest.id));
  const i = done.indexOf(false);
  return i < 0 ? t("questDone") : stepLabel(state, quest.steps[i]);
}

/** `ABCD2345` → `ABCD-2345`: easier to read out at the counter. */
function displayCode(code) {
  return /^[A-Z0-9]{8}$/.test(code) ? `${code.slice(0, 4)}-${code.slice(4)}` : code;
}

function couponQr(coupon) {
  // The server draws the QR code (SVG); an <img> cannot run script from it.
  return el("img", {
    class: "qr",
    src: `/coupon-qr/${encodeURIComponent(coupon.code)}.svg`,
    alt: `${t("couponQr")} ${coupon.code}`,
    width: 120,
    height: 120,
    loading: "lazy",
    onerror: (e) => e.target.remove(),
  });
}

export function walletView(state) {
  const wrap = el("div", { class: "wallet" });
  wrap.append(
    el(
      "p",
      { class: "balance-line" },
      el("span", { text: `${t("balance")}: ` }),
      el("strong", {
        class: "balance-value",
        text: state.balance == null ? "–" : String(state.balance),
      }),
      ` ${t("tokens")}`,
    ),
  );
  if (!state.coupons.length) {
    wrap.append(el("p", { class: "empty", text: t("noCoupons") }));
    return wrap;
  }
  const list = el("ul", { class: "coupons" });
  for (const c of state.coupons) {
    const booth = state.booths.get(c.slot)?.booth;
    list.append(
      el(
        "li",
        { class: "coupon" },
        el("h3", { text: pick(c.title) }),
        booth ? el("p", { class: "shop", text: pick(booth.name) || c.slot }) : null,
        el(
          "p",
          {},
          el("span", { text: `${t("couponCode")}: ` }),
          el("code", { class: "code", text: displayCode(c.code) }),
        ),
        c.expires_at
          ? el("p", {
              class: "expires",
              text: `${t("expires")}: ${new Date(c.expires_at * 1000).toLocaleString(currentLang() === "th" ? "th-TH" : "en-GB")}`,
            })
          : null,
        couponQr(c),
      ),
    );
  }
  wrap.append(list);
  return wrap;
}

function boardTable(entries, you, caption) {
  const body = el("tbody");
  for (const e of entries) {
    body.append(
      el(
        "tr",
        { class: you === e.rank ? "you" : "" },
        el("td", { text: String(e.rank) }),
        el("td", { text: e.name }, you === e.rank ? ` (${t("you")})` : ""),
        el("td", { text: String(e.score) }),
        el("td", { text: e.quests == null ? "" : String(e.quests) }),
      ),
    );
  }
  return el(
    "table",
    { class: "leaderboard" },
    el("caption", { text: caption }),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", { scope: "col", text: t("rank") }),
        el("th", { scope: "col", text: t("name") }),
        el("th", { scope: "col", text: t("tokens") }),
        el("th", { scope: "col", text: t("quests") }),
      ),
    ),
    body,
  );
}

/** This week's board and the all-time board, your rows marked. */
export function leaderboardView(state) {
  const lb = state.leaderboard;
  if (!lb || (!lb.entries.length && !lb.allTime.length)) {
    const text = state.learningSupported === false ? t("comingSoonServer") : t("leaderboardEmpty");
    return el("p", { class: "empty", text });
  }
  const week = lb.week ? `${t("thisWeek")} (${lb.week})` : t("thisWeek");
  return el(
    "div",
    { class: "boards" },
    lb.entries.length
      ? boardTable(lb.entries, lb.you, week)
      : el("p", { class: "empty", text: `${week}: ${t("leaderboardEmpty")}` }),
    lb.allTime.length ? boardTable(lb.allTime, lb.youAllTime, t("allTime")) : null,
  );
}

function asList(value) {
  return Array.isArray(value) ? value.filter((v) => v && typeof v === "object") : [];
}

/** Photos come from this server only (`/…`), never from an address a booth typed in. */
function photo(url, alt) {
  if (typeof url !== "string" || !url.startsWith("/") || url.startsWith("//")) return null;
  return el("img", {
    class: "product-photo",
    src: url,
    alt,
    width: 64,
    height: 64,
    loading: "lazy",
  });
}

/** Why a promotion cannot be redeemed now, or null. */
function promoBlocker(state, promo, nowS) {
  if (promo.left === 0) return t("soldOut");
  if (typeof promo.from === "number" && nowS < promo.from) return t("promoNotStarted");
  if (typeof promo.to === "number" && nowS >= promo.to) return t("promoEnded");
  if (state.balance != null && promo.cost > state.balance) return t("notEnoughTokens");
  return null;
}

/** Booths that are open, each with products and promotions; `onRedeem(slot, promo)`. */
export function boothsView(
  state,
  onRedeem,
  { headingLevel = "h3", distanceTo = null, reach = null } = {},
) {
  const open = [...state.booths.entries()].filter(([, b]) => b.booth);
  if (!open.length) {
    const text = state.boothsSupported === false ? t("comingSoonServer") : t("boothsNearby");
    return el("p", { class: "empty", text });
  }
  open.sort(([a], [b]) => a.localeCompare(b));
  const nowS = Date.now() / 1000;
  const list = el("ul", { class: "booths" });
  for (const [slot, { booth }] of open) {
    const products = asList(booth.products);
    const promos = asList(booth.promotions);
    const item = el(
      "li",
      { class: "booth", "data-slot": slot },
      el(headingLevel, { text: pick(booth.name) || slot }),
      booth.description ? el("p", { class: "sign", text: pick(booth.description) }) : null,
      distanceTo
        ? el("p", {
            class: "dist",
            text: `${slot} · ${t("metresAway", { n: Math.round(distanceTo(slot)) })}`,
          })
        : null,
    );
    item.style.borderLeftColor = /^#[0-9a-f]{6}$/i.test(String(booth.awning)) ? booth.awning : "";
    if (products.length) {
      item.append(el("h4", { text: t("products") }));
      item.append(
        el(
          "ul",
          { class: "products" },
          ...products.map((p) =>
            el(
              "li",
              {},
              photo(p.photo, pick(p.name)),
              el("span", { text: pick(p.name) }),
              p.price != null
                ? el("span", { class: "price", text: ` ${p.price} ${t("baht")}` })
                : null,
            ),
          ),
        ),
      );
    }
    if (promos.length) {
      item.append(el("h4", { text: t("promotions") }));
      const ul = el("ul", { class: "promos" });
      for (const promo of promos) {
        let blocker = promo.id ? promoBlocker(state, promo, nowS) : t("errorGeneric");
        if (!blocker && reach && distanceTo && distanceTo(slot) > reach) blocker = t("boothTooFar");
        ul.append(
          el(
            "li",
            { "data-promotion": promo.id },
            el("span", { text: pick(promo.title) }),
            el("span", { class: "cost", text: ` · ${promo.cost} ${t("tokens")}` }),
            typeof promo.left === "number"
              ? el("span", { class: "left", text: ` · ${t("left", { n: promo.left })}` })
              : null,
            el("button", {
              type: "button",
              class: "primary redeem",
              disabled: blocker !== null,
              text: blocker ?? t("redeem"),
              "aria-label": `${t("redeem")}: ${pick(promo.title)}${blocker ? ` (${blocker})` : ""}`,
              onclick: () => onRedeem(slot, promo),
            }),
          ),
        );
      }
      item.append(ul);
    }
    list.append(item);
  }
  return list;
}

/**
 * The visitor's name: shown over the avatar and on the leaderboard. Saved on the server
 * (set_nickname) and in this browser, so the next hello uses it too.
 */
export function nicknameForm(conn, state, visitor, { id = "nick-input" } = {}) {
  const input = el("input", {
    id,
    maxlength: 24,
    value: visitor.name,
    autocomplete: "nickname",
    required: true,
  });
  const form = el(
    "form",
    { class: "nick-form" },
    el("label", { for: id, text: t("nickname") }),
    input,
    el("button", {
      type: "submit",
      class: "primary",
      "data-key": "nick-save",
      text: t("setNickname"),
    }),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = input.value.trim();
    if (!name) return;
    const reply = await ask(conn, state, MsgType.SET_NICKNAME, { name });
    if (!reply) return;
    visitor.name = reply.name || name; // as stored: trimmed, NFC
    input.value = visitor.name;
    saveVisitor(visitor);
    announce(`${t("nicknameSaved")}: ${visitor.name}`, { tone: "good" });
  });
  return form;
}

/** Redeem a promotion; the coupon shows up in the wallet through the state. */
export async function redeem(conn, state, slot, promo) {
  // `key` makes a retry return the same coupon; `expected_cost` the price the visitor saw.
  const key = randomToken(16);
  const reply = await ask(conn, state, MsgType.REDEEM, {
    slot,
    promotion: promo.id,
    key,
    expected_cost: promo.cost,
  });
  if (reply?.type === MsgType.COUPON_ISSUED) {
    announce(`${t("redeemed")}: ${pick(reply.coupon.title)} · ${reply.coupon.code}`, {
      tone: "good",
    });
  }
  return reply;
}

/**
 * The quiz dialog: question with choices, then the result with the explanation and the
 * tokens earned. Thai first; the dialog has its own language toggle.
 */
export class QuizDialog {
  constructor(dialog, conn, state) {
    this.dialog = dialog;
    this.conn = conn;
    this.state = state;
    this.question = null;
    this.result = null;
    this.busy = false;
    dialog.addEventListener("close", () => {
      this.question = null;
      this.result = null;
      this.dialog.dispatchEvent(new CustomEvent("quizclosed"));
    });
    onLang(() => this.render());
  }

  get isOpen() {
    return this.dialog.open;
  }

  /** Ask the server for the question of `quizId` and show it. */
  async open(quizId) {
    if (this.busy) return false;
    this.busy = true;
    try {
      const reply = await ask(this.conn, this.state, MsgType.QUIZ_OPEN, { quiz_id: quizId });
      if (reply?.type !== MsgType.QUIZ_QUESTION) return false;
      this.question = reply;
      this.result = null;
      this.render();
      if (!this.dialog.open) this.dialog.showModal();
      return true;
    } finally {
      this.busy = false;
    }
  }

  async answer(choice) {
    if (!this.question || this.busy) return;
    this.busy = true;
    try {
      const reply = await ask(this.conn, this.state, MsgType.QUIZ_ANSWER, {
        quiz_id: this.question.quiz_id,
        choice,
      });
      if (reply?.type !== MsgType.QUIZ_RESULT) return;
      this.result = { ...reply, choice };
      this.render();
      if (reply.correct && reply.reward > 0) this.celebrate(reply.reward);
      announce(
        reply.correct
          ? `${t("quizCorrect")} ${t("quizEarned")} ${reply.reward} ${t("tokens")}`
          : t("quizWrong"),
        { tone: reply.correct ? "good" : "warn" },
      );
    } finally {
      this.busy = false;
    }
  }

  render() {
    const q = this.question;
    if (!q) return;
    const meta = this.state.quizIndex.get(q.quiz_id);
    const lm = meta && this.state.landmarkIndex.get(meta.landmark);
    const header = el(
      "header",
      { class: "dialog-head" },
      el("p", { class: "kicker", text: `${t("quiz")}${lm ? ` · ${pick(lm.name)}` : ""}` }),
      el("button", {
        type: "button",
        class: "lang-btn",
        lang: currentLang() === "th" ? "en" : "th",
        text: t("langToggle"),
        "aria-label": t("langToggleLabel"),
        onclick: () => toggleLang(),
      }),
    );
    const title = el("h2", { id: "quiz-title", text: pick(q.question) });
    const other = el("p", {
      class: "other-lang",
      lang: currentLang() === "th" ? "en" : "th",
      text: pickOther(q.question),
    });
    const body = this.result ? this.resultView(q, this.result) : this.questionView(q);
    fill(this.dialog, el("div", { class: "dialog-body" }, header, title, other, body));
  }

  questionView(q) {
    const form = el("form", { method: "dialog", class: "quiz-form" });
    const fieldset = el("fieldset", {}, el("legend", { class: "sr-only", text: pick(q.question) }));
    q.choices.forEach((choice, i) => {
      const id = `choice-${i}`;
      fieldset.append(
        el(
          "label",
          { class: "choice", for: id },
          el("input", { type: "radio", name: "choice", id, value: i, required: true }),
          el("span", { text: pick(choice) }),
        ),
      );
    });
    form.append(
      fieldset,
      el(
        "p",
        { class: "quiz-meta" },
        q.already_awarded ? t("alreadyAwarded") : `+${q.reward} ${t("tokens")}`,
        ` · ${t("quizAttemptsLeft")} ${q.attempts_left}`,
      ),
      el(
        "div",
        { class: "actions" },
        el("button", {
          type: "button",
          class: "secondary",
          text: t("close"),
          onclick: () => this.dialog.close(),
        }),
        el("button", { type: "submit", class: "primary", text: t("quizAnswer") }),
      ),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const picked = form.querySelector("input[name=choice]:checked");
      if (picked) this.answer(Number(picked.value));
    });
    return form;
  }

  resultView(q, r) {
    const wrap = el("div", {
      class: r.correct ? "quiz-result correct" : "quiz-result wrong",
      role: "status",
    });
    wrap.append(
      el("p", {
        class: "verdict",
        text: `${r.correct ? "✓" : "✗"} ${r.correct ? t("quizCorrect") : t("quizWrong")}`,
      }),
      el("p", { class: "your-choice", text: pick(q.choices[r.choice]) }),
    );
    if (r.correct) {
      wrap.append(
        el(
          "p",
          { class: "earned" },
          `${t("quizEarned")} `,
          el("strong", { class: "earned-value", text: `+${r.reward}` }),
          ` ${t("tokens")}`,
        ),
      );
      if (r.already_awarded)
        wrap.append(el("p", { class: "quiz-meta", text: t("alreadyAwarded") }));
      if (r.capped) wrap.append(el("p", { class: "quiz-meta", text: t("dailyCap") }));
    } else if (r.attempts_left > 0) {
      wrap.append(
        el("p", {
          class: "quiz-meta",
          text: `${t("quizAttemptsLeft")} ${r.attempts_left}${r.cooldown_s > 0 ? ` · ${t("cooldown")} (${Math.ceil(r.cooldown_s)} s)` : ""}`,
        }),
      );
    }
    if (r.explanation) wrap.append(el("p", { class: "explanation", text: pick(r.explanation) }));
    wrap.append(
      el("p", { class: "balance-line", text: `${t("balance")}: ${r.balance} ${t("tokens")}` }),
      el(
        "div",
        { class: "actions" },
        el("button", {
          type: "button",
          class: "primary",
          text: t("close"),
          onclick: () => this.dialog.close(),
          autofocus: true,
        }),
      ),
    );
    return wrap;
  }

  /** A small burst of confetti and coins; skipped when the visitor prefers less motion. */
  celebrate(reward) {
    if (window.matchMedia?.("(prefers-reduced-motion: reduce)").matches) return;
    const burst = el("div", { class: "confetti", "aria-hidden": "true" });
    const colours = ["#ffc93c", "#e63946", "#2a9d8f", "#457b9d", "#f4a261"];
    const pieces = Math.min(40, 12 + reward);
    for (let i = 0; i < pieces; i++) {
      const piece = el("i");
      piece.style.setProperty("--dx", `${(Math.random() - 0.5) * 360}px`);
      piece.style.setProperty("--dy", `${-120 - Math.random() * 200}px`);
      piece.style.setProperty("--r", `${Math.random() * 720}deg`);
      piece.style.background = colours[i % colours.length];
      burst.append(piece);
    }
    this.dialog.append(burst);
    setTimeout(() => burst.remove(), 1600);
  }
}
