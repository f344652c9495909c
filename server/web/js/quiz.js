// The quiz dialog: the question with its choices, then the result in the same dialog. A wrong
// answer is not a dead end: "try again" opens the question again right there (after the
// cooldown, counted down, once every attempt is used), and earlier wrong choices are marked.
// Focus goes to the question, then the choices; after an answer to the verdict; closing gives
// it back to whatever opened the dialog. A speaker button reads question, choices and
// explanation aloud where the device has a voice.

import { MsgType } from "../protocol.js";
import { announce, el, rerender } from "./dom.js";
import { currentLang, onLang, pick, pickOther, t, toggleLang } from "./i18n.js";
import { ask } from "./panels.js";
import { speakerButton, stopSpeaking } from "./speech.js";

export class QuizDialog {
  /**
   * `onNext()` (optional) continues the guided visit after a right answer; `fallbackFocus()`
   * gives the element to focus on close when the opener is gone (the visitor walked in).
   */
  constructor(dialog, conn, state, { onNext = null, fallbackFocus = null } = {}) {
    this.dialog = dialog;
    this.conn = conn;
    this.state = state;
    this.onNext = onNext;
    this.fallbackFocus = fallbackFocus;
    this.question = null;
    this.result = null;
    this.wrong = new Set(); // choices already answered wrong in this dialog
    this.busy = false;
    this.opener = null;
    this.timer = null;
    dialog.addEventListener("close", () => {
      clearInterval(this.timer);
      stopSpeaking();
      const quizId = this.question?.quiz_id ?? null;
      this.question = null;
      this.result = null;
      this.wrong.clear();
      const back = this.opener?.isConnected ? this.opener : this.fallbackFocus?.();
      this.opener = null;
      back?.focus?.();
      this.dialog.dispatchEvent(new CustomEvent("quizclosed", { detail: { quizId } }));
    });
    onLang(() => this.render());
  }

  get isOpen() {
    return this.dialog.open;
  }

  get quizId() {
    return this.question?.quiz_id ?? null;
  }

  /** Ask the server for the question of `quizId` and show it; focus goes to the question. */
  async open(quizId, { opener = document.activeElement } = {}) {
    if (this.busy) return false;
    this.busy = true;
    try {
      const reply = await ask(this.conn, this.state, MsgType.QUIZ_OPEN, { quiz_id: quizId });
      if (reply?.type !== MsgType.QUIZ_QUESTION) return false;
      if (this.question?.quiz_id !== reply.quiz_id) this.wrong.clear();
      if (!this.dialog.open && opener && opener !== document.body) this.opener = opener;
      this.question = reply;
      this.result = null;
      this.render();
      if (!this.dialog.open) this.dialog.showModal();
      this.dialog.querySelector("#quiz-title")?.focus();
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
      if (!reply.correct) this.wrong.add(choice);
      this.result = {
        ...reply,
        choice,
        retryAt: reply.cooldown_s > 0 ? performance.now() + reply.cooldown_s * 1000 : 0,
      };
      this.render();
      this.dialog.querySelector(".verdict")?.focus();
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

  /** The same question again, in this dialog. */
  async tryAgain() {
    if (!this.question) return;
    await this.open(this.question.quiz_id, { opener: null });
  }

  render() {
    const q = this.question;
    if (!q) return;
    clearInterval(this.timer);
    const meta = this.state.quizIndex.get(q.quiz_id);
    const lm = meta && this.state.landmarkIndex.get(meta.landmark);
    const header = el(
      "header",
      { class: "dialog-head" },
      el("p", { class: "kicker", text: `${t("quiz")}${lm ? ` · ${pick(lm.name)}` : ""}` }),
      el(
        "div",
        { class: "head-tools" },
        speakerButton(() => this.spokenText()),
        el("button", {
          type: "button",
          class: "lang-btn",
          lang: currentLang() === "th" ? "en" : "th",
          "data-key": "quiz-lang",
          text: t("langToggle"),
          onclick: () => toggleLang(),
        }),
      ),
    );
    const title = el("h2", { id: "quiz-title", tabindex: "-1", text: pick(q.question) });
    const other = el("p", {
      class: "other-lang",
      lang: currentLang() === "th" ? "en" : "th",
      text: pickOther(q.question),
    });
    const body = this.result ? this.resultView(q, this.result) : this.questionView(q);
    rerender(this.dialog, el("div", { class: "dialog-body" }, header, title, other, body));
  }

  /** What the speaker button reads: the question and choices, or the result. */
  spokenText() {
    const q = this.question;
    if (!q) return "";
    const r = this.result;
    if (!r) {
      const choices = q.choices.map((c, i) => `${i + 1}. ${pick(c)}`).join(" ");
      return `${pick(q.question)} ${choices}`;
    }
    return [
      r.correct ? t("quizCorrect") : t("quizWrong"),
      `${t("yourAnswer")}: ${pick(q.choices[r.choice])}.`,
      r.explanation ? pick(r.explanation) : "",
    ].join(" ");
  }

  questionView(q) {
    const form = el("form", { method: "dialog", class: "quiz-form" });
    const fieldset = el("fieldset", {}, el("legend", { class: "sr-only", text: pick(q.question) }));
    q.choices.forEach((choice, i) => {
      const id = `choice-${i}`;
      const tried = this.wrong.has(i);
      fieldset.append(
        el(
          "label",
          { class: tried ? "choice tried" : "choice", for: id },
          el("input", { type: "radio", name: "choice", id, value: i, required: true }),
          el("span", { text: pick(choice) }),
          tried ? el("span", { class: "tag", text: t("triedBefore") }) : null,
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
          "data-key": "quiz-close",
          text: t("close"),
          onclick: () => this.dialog.close(),
        }),
        el("button", {
          type: "submit",
          class: "primary",
          "data-key": "quiz-answer",
          text: t("quizAnswer"),
        }),
      ),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const picked = form.querySelector("input[name=choice]:checked");
      if (picked) this.answer(Number(picked.value));
      else {
        announce(t("pickAnswer"), { tone: "warn" });
        form.querySelector("input[name=choice]")?.focus();
      }
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
        tabindex: "-1",
        text: `${r.correct ? "✓" : "✗"} ${r.correct ? t("quizCorrect") : t("quizWrong")}`,
      }),
      el(
        "p",
        { class: "your-choice" },
        el("span", { class: "label", text: `${t("yourAnswer")}: ` }),
        el("strong", { text: pick(q.choices[r.choice]) }),
      ),
    );
    const actions = el("div", { class: "actions" });
    const close = el("button", {
      type: "button",
      class: r.correct || r.attempts_left === 0 ? "primary" : "secondary",
      "data-key": "quiz-close",
      text: t("close"),
      onclick: () => this.dialog.close(),
    });
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
      actions.append(close);
      if (this.onNext) {
        actions.append(
          el("button", {
            type: "button",
            class: "secondary",
            "data-key": "quiz-next",
            text: `${t("goOn")} →`,
            onclick: () => {
              this.dialog.close();
              this.onNext();
            },
          }),
        );
      }
    } else {
      const again = el("button", {
        type: "button",
        class: "primary",
        "data-key": "quiz-again",
        text: t("tryAgain"),
        onclick: () => this.tryAgain(),
      });
      const left = el("p", { class: "quiz-meta" });
      if (r.attempts_left > 0) {
        left.textContent = `${t("quizAttemptsLeft")} ${r.attempts_left}`;
      } else {
        // Every attempt used: count the cooldown down, then offer the question again.
        const tick = () => {
          const s = Math.ceil((r.retryAt - performance.now()) / 1000);
          again.disabled = s > 0;
          left.textContent = s > 0 ? t("tryAgainIn", { s }) : t("tryAgainNow");
          if (s <= 0) clearInterval(this.timer);
        };
        tick();
        this.timer = setInterval(tick, 1000);
      }
      wrap.append(left);
      actions.append(close, again);
    }
    if (r.explanation) wrap.append(el("p", { class: "explanation", text: pick(r.explanation) }));
    wrap.append(
      el("p", { class: "balance-line", text: `${t("balance")}: ${r.balance} ${t("tokens")}` }),
      actions,
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
