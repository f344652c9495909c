// The guided visit: which quest to follow, its next step and where "take me there" goes, the
// one-time welcome, and the words for a walk in progress. Both modes use it; neither decides
// this on its own.
//
// The quest to follow is sticky, so the guide does not jump between quests as the visitor
// walks: the first quest already begun, else (a new visitor) the one whose next step is
// nearest, so wherever the server spawned them the first question is close. It changes only
// when that quest is completed.

import { LIMITS } from "../protocol.js";
import { el, fill } from "./dom.js";
import { distanceToPolygon } from "./geometry.js";
import { currentLang, pick, t } from "./i18n.js";
import { questProgress, stepLabel, stepsDone } from "./panels.js";
import { flag, setFlag } from "./prefs.js";
import { speakerButton } from "./speech.js";

/** A point in front of a landmark: from the centreline towards the building until blocked,
 * then a couple of metres back, so the avatar faces it from the pavement. A landmark standing
 * on the road itself (the City Gate spans it) is seen from up the road instead. */
export function frontOf(lm, walkable, road) {
  const [station] = road.locate(lm.position);
  if (walkable.fits(lm.position)) return walkable.nearestFit(road.pointAt(station - 7));
  const start = walkable.nearestFit(road.pointAt(station));
  const [dx, dz] = [lm.position[0] - start[0], lm.position[1] - start[1]];
  const len = Math.hypot(dx, dz) || 1;
  let best = start;
  for (let s = 0.5; s < len; s += 0.5) {
    const p = [start[0] + (dx / len) * s, start[1] + (dz / len) * s];
    if (!walkable.fits(p)) break;
    best = p;
  }
  const back = Math.max(0, Math.hypot(best[0] - start[0], best[1] - start[1]) - 2);
  return [start[0] + (dx / len) * back, start[1] + (dz / len) * back];
}

/** Whether standing at `point` counts as a visit to `lm` (the server's rule, in LIMITS). */
export function countsAsVisit(point, lm) {
  return lm.footprints.some((f) => distanceToPolygon(point, f) <= LIMITS.VISIT_DISTANCE_M);
}

export class Guide {
  constructor(state, walkable, road) {
    this.state = state;
    this.walkable = walkable;
    this.road = road;
    this.questId = null;
    this.fronts = new Map();
  }

  front(lm) {
    if (!this.fronts.has(lm.id)) this.fronts.set(lm.id, frontOf(lm, this.walkable, this.road));
    return this.fronts.get(lm.id);
  }

  /** Where the step at `index` of `quest` is done, as {point, label, quizId, landmark}. */
  target(quest, index, done) {
    const state = this.state;
    const [kind, id] = Object.entries(quest.steps[index])[0];
    if (kind === "quiz") {
      const q = state.quizIndex.get(id);
      if (!q) return null;
      const lm = state.landmarkIndex.get(q.landmark);
      return { point: q.position, quizId: q.id, landmark: lm ?? null, label: pick(lm?.name) };
    }
    const lm = state.landmarkIndex.get(id);
    if (!lm) return null;
    // A visit followed by a question at the same place: go straight to the question when the
    // question stands close enough that the server counts the visit there.
    const after = quest.steps[index + 1];
    if (after && !done[index + 1] && after.quiz) {
      const q = state.quizIndex.get(after.quiz);
      if (q?.landmark === lm.id && countsAsVisit(q.position, lm))
        return { point: q.position, quizId: q.id, landmark: lm, label: pick(lm.name) };
    }
    return { point: this.front(lm), quizId: null, landmark: lm, label: pick(lm.name) };
  }

  /** The next step of `quest`: {index, label, target}, or null when it is complete. */
  stepOf(quest) {
    const done = stepsDone(this.state, quest, this.state.quests.get(quest.id));
    const index = done.indexOf(false);
    if (index < 0 || questProgress(this.state, quest).completed) return null;
    return {
      index,
      label: stepLabel(this.state, quest.steps[index]),
      target: this.target(quest, index, done),
    };
  }

  /** The quest to follow now (see the module comment), or null when all are completed. */
  quest(pos) {
    const quests = this.state.manifest.quests;
    const open = quests.filter((q) => !questProgress(this.state, q).completed);
    const kept = open.find((q) => q.id === this.questId);
    if (kept) return kept;
    let pickQ = open.find((q) => questProgress(this.state, q).done > 0) || null;
    if (!pickQ && pos) {
      let best = Infinity;
      for (const q of open) {
        const p = this.stepOf(q)?.target?.point;
        const d = p ? Math.hypot(p[0] - pos[0], p[1] - pos[1]) : Infinity;
        if (d < best) {
          best = d;
          pickQ = q;
        }
      }
    }
    if (!pickQ && !pos) return open[0] || null; // not placed yet: choose once we know where
    pickQ = pickQ || open[0] || null;
    this.questId = pickQ?.id ?? null;
    return pickQ;
  }

  /** After a jump or a new start: choose again, unless a quest is already begun. */
  reconsider() {
    const begun = this.state.manifest.quests.some((q) => {
      const p = questProgress(this.state, q);
      return p.done > 0 && !p.completed;
    });
    if (!begun) this.questId = null;
  }

  /** Everything the guide shows: {quest, progress, step} (step may be null), or null. */
  next(pos) {
    const quest = this.quest(pos);
    if (!quest) return null;
    return { quest, progress: questProgress(this.state, quest), step: this.stepOf(quest) };
  }
}

/** Metres and seconds left on a walk, in words. */
export function walkLeftText(remaining, speed) {
  return t("walkLeft", {
    n: Math.max(0, Math.round(remaining)),
    s: Math.max(1, Math.ceil(remaining / speed)),
  });
}

/** "ห่าง 12 เมตร" from `pos` to `point`. */
export function distanceText(pos, point) {
  return t("metresAway", { n: Math.round(Math.hypot(point[0] - pos[0], point[1] - pos[1])) });
}

/**
 * The welcome, once per browser (or again from the settings with `force`): what to do here and
 * what tokens are for, and one button that starts the first walk. Returns true when shown.
 */
export function showWelcome(dialog, { onGo, force = false }) {
  if (!force && flag("welcomed")) return false;
  const lines = [
    ["🟡", t("welcome1")],
    ["🪙", t("welcome2")],
    ["🎟️", t("welcome3")],
  ];
  const title = el("h2", { id: "welcome-title", tabindex: "-1", text: t("welcomeTitle") });
  const close = (go) => {
    setFlag("welcomed");
    dialog.close();
    if (go) onGo?.();
  };
  fill(
    dialog,
    el(
      "div",
      { class: "dialog-body" },
      title,
      el("p", {
        class: "other-lang",
        lang: currentLang() === "th" ? "en" : "th",
        text: t("welcomeOther"),
      }),
      el(
        "ol",
        { class: "welcome-steps" },
        ...lines.map(([icon, text]) =>
          el("li", {}, el("span", { class: "icon", "aria-hidden": "true", text: icon }), text),
        ),
      ),
      speakerButton(() => [t("welcomeTitle"), ...lines.map(([, text]) => text)].join(" ")),
      el(
        "div",
        { class: "actions" },
        el("button", {
          type: "button",
          class: "secondary",
          "data-key": "welcome-skip",
          text: t("welcomeSkip"),
          onclick: () => close(false),
        }),
        onGo
          ? el("button", {
              type: "button",
              class: "primary",
              "data-key": "welcome-go",
              text: t("welcomeGo"),
              onclick: () => close(true),
            })
          : null,
      ),
    ),
  );
  dialog.addEventListener("close", () => setFlag("welcomed"), { once: true });
  if (!dialog.open) dialog.showModal();
  (dialog.querySelector("[data-key=welcome-go]") || title).focus();
  return true;
}
