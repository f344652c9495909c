// The list mode: the whole street as plain, semantic HTML for screen readers, old phones and
// slow links (and the automatic fallback without WebGL). At the top, where you are and the one
// next step with "take me there"; then the landmarks in order along the road, each with its
// quiz points; choosing one walks the avatar there for real (a banner at the bottom of the
// screen says where to, how far and how long, with Stop), then opens the quiz. Quests, booths,
// wallet, leaderboard, people nearby, chat and the settings, like the 3D mode.

import { MsgType } from "../protocol.js";
import { coursesView } from "./courses.js";
import { dialogueButton } from "./dialogue.js";
import { announce, el, fill, rerender } from "./dom.js";
import { Road, Walkable } from "./geometry.js";
import { EMOTE_ICONS, EMOTE_KEYS } from "./emotes.js";
import { EventBoard } from "./events.js";
import { Guide, showWelcome, walkLeftText } from "./guide.js";
import { onLang, pick, pickOther, t } from "./i18n.js";
import { keepOneName } from "./names.js";
import {
  BOOTH_REACH_M,
  ask,
  boothsView,
  leaderboardView,
  questsView,
  redeem,
  walletView,
} from "./panels.js";
import { QuizDialog } from "./quiz.js";
import { settingsView } from "./settings.js";
import { speakerButton } from "./speech.js";
import { TRAVEL_MIN_M, canTravel, travel } from "./travel.js";
import { Walker } from "./walker.js";
import { Safety } from "./safety.js";

const ARRIVED_SHOWN_MS = 8000;

function section(id, titleKey) {
  const heading = el("h2", {
    id: `${id}-title`,
    "data-i18n": titleKey,
    tabindex: "-1",
    text: t(titleKey),
  });
  const body = el("div", { class: "section-body" });
  const node = el(
    "section",
    { id, class: "list-section", "aria-labelledby": `${id}-title` },
    heading,
    body,
  );
  return { node, body };
}

export async function startList({ manifest: first, state, conn, visitor, fallback }) {
  let manifest = state.manifest ?? first; // a live reload may have come while this loaded
  const safety = new Safety(conn, state);
  const main = document.getElementById("list");
  main.hidden = false;
  let walkable = new Walkable(manifest);
  let road = new Road(manifest.street.centreline);
  const guide = new Guide(state, walkable, road);
  const walker = new Walker(conn, state, walkable);
  const quiz = new QuizDialog(document.getElementById("quiz-dialog"), conn, state, {
    onNext: () => goNext(),
    fallbackFocus: () => document.querySelector("[data-key=next-go]"),
  });

  // -- where am I, and the next step -------------------------------------------------------------
  const where = section("where", "youAreAt");
  const whereText = el("p", { id: "where-text" });
  const nextBox = el("div", { class: "next-step", id: "next-step" });
  where.body.append(whereText, nextBox);
  if (fallback) where.body.prepend(el("p", { class: "notice", role: "note", text: t("noWebgl") }));

  function nearestLandmark(x, z) {
    let best = null;
    let bestD = Infinity;
    for (const lm of manifest.landmarks) {
      const d = Math.hypot(lm.position[0] - x, lm.position[1] - z);
      if (d < bestD) {
        bestD = d;
        best = lm;
      }
    }
    return { lm: best, d: bestD };
  }

  function renderWhere() {
    const me = state.me;
    if (!me) {
      whereText.textContent = t("connConnecting");
      return;
    }
    const [station] = road.locate([me.x, me.z]);
    const { lm, d } = nearestLandmark(me.x, me.z);
    whereText.textContent = `${t("station", { n: Math.round(station) })} · ${t("nearby")}: ${pick(lm.name)} (${t("metresAway", { n: Math.round(d) })})`;
  }

  let nextKey = "";
  function renderNext(force = false) {
    const me = state.me;
    const info = guide.next(me ? [me.x, me.z] : null);
    const step = info?.step;
    const dist =
      me && step?.target
        ? t("metresAway", {
            n: Math.round(Math.hypot(step.target.point[0] - me.x, step.target.point[1] - me.z)),
          })
        : "";
    const key = info ? `${info.quest.id}:${info.progress.done}:${step?.label}:${dist}` : "done";
    if (key === nextKey && !force) return;
    nextKey = key;
    if (!info) {
      rerender(nextBox, el("p", { class: "next-title", text: `✓ ${t("allQuestsDone")}` }));
      return;
    }
    rerender(
      nextBox,
      el(
        "p",
        { class: "next-quest" },
        `${t("quests")}: ${pick(info.quest.title)} · ${info.progress.done}/${info.progress.total}`,
      ),
      el("p", { class: "next-title" }, `${t("next")}: `, el("strong", { text: step?.label ?? "" })),
      dist ? el("p", { class: "dist", text: dist }) : null,
      step?.target
        ? el("button", {
            type: "button",
            class: "primary",
            "data-key": "next-go",
            text: `🚶 ${t("takeMeThere")}`,
            onclick: () => goNext(),
          })
        : null,
    );
  }

  // -- the walk banner: where to, how far, how long, Stop --------------------------------------
  const walkTitle = el("p", { class: "walk-title", id: "walk-status" });
  const walkStatus = el("p", { class: "walk-left" });
  const walkBar = el("progress", { id: "walk-progress", max: 1, value: 0 });
  const stopBtn = el("button", {
    type: "button",
    class: "secondary",
    "data-key": "stop-walk",
    onclick: () => {
      if (walker.walking) walker.stop("stopped");
      else banner.hidden = true;
    },
  });
  const banner = el(
    "div",
    { class: "walk-banner", id: "walk-banner", role: "status", hidden: true },
    el("div", { class: "walk-text" }, walkTitle, walkStatus, walkBar),
    stopBtn,
  );
  document.body.append(banner);
  let walkLabel = "";
  let hideTimer = null;

  walker.addEventListener("progress", (e) => {
    const { remaining, total, speed } = e.detail;
    walkBar.max = Math.max(1, total);
    walkBar.value = Math.max(0, total - remaining);
    walkStatus.textContent = walkLeftText(remaining, speed);
    renderWhere();
    refreshDistances();
  });

  /** Walk to `target`, showing where, how far and how long in the banner, with Stop. */
  async function walkTo(target, label) {
    clearTimeout(hideTimer);
    walkLabel = label;
    walkTitle.textContent = `🚶 ${t("walkingTo")} ${label}`;
    walkStatus.textContent = "";
    walkBar.hidden = false;
    stopBtn.textContent = t("stopWalk");
    banner.hidden = false;
    document.body.classList.add("walking");
    const pending = walker.walkTo(target);
    const job = walker.job;
    if (job)
      announce(`${t("walkingTo")} ${label} · ${walkLeftText(job.route.total, walker.speed)}`, {
        toast: false, // the banner says it
      });
    const result = await pending;
    document.body.classList.remove("walking");
    renderWhere();
    refreshDistances();
    renderNext();
    walkBar.hidden = true;
    stopBtn.textContent = t("close");
    if (result === "arrived") {
      walkTitle.textContent = `✓ ${t("arrived")} ${walkLabel}`;
      walkStatus.textContent = "";
      hideTimer = setTimeout(() => {
        if (!walker.walking) banner.hidden = true;
      }, ARRIVED_SHOWN_MS);
      return true;
    }
    walkTitle.textContent =
      result === "offline"
        ? t("connOffline")
        : result === "stopped"
          ? t("walkStopped")
          : t("errorGeneric");
    walkStatus.textContent = "";
    return false;
  }

  /** Follow the guide: to the next step (far away, a server-approved jump first, when the
   * server offers one), and open its question there. */
  async function goNext() {
    const me = state.me;
    const step = guide.next(me ? [me.x, me.z] : null)?.step;
    const target = step?.target;
    if (!target) return;
    const far = me && Math.hypot(target.point[0] - me.x, target.point[1] - me.z) > TRAVEL_MIN_M;
    if (far && target.landmark && canTravel()) await travel(conn, state, target.landmark.id);
    if (target.quizId) await openQuiz(state.quizIndex.get(target.quizId));
    else await walkTo(target.point, target.label);
  }

  // -- landmarks in order, each with its quiz points ------------------------------------------
  const landmarks = section("landmarks", "landmarks");
  const list = el("ol", { class: "landmark-list" });
  landmarks.body.append(list);
  const distanceCells = [];
  const quizRows = new Map();

  function buildLandmarks() {
    distanceCells.length = 0;
    quizRows.clear();
    const items = [...manifest.landmarks]
      .sort((a, b) => a.station - b.station)
      .map((lm) => {
        const dist = el("p", { class: "dist" });
        distanceCells.push({ node: dist, point: lm.position });
        const quizzes = manifest.quiz_points.filter(
          (q) => q.landmark === lm.id && state.quizOn(q.id),
        );
        const qlist = el("ul", { class: "quiz-list" });
        for (const q of quizzes) {
          const status = el("span", { class: "quiz-status" });
          const button = el("button", {
            type: "button",
            class: "primary",
            "data-key": `quiz:${q.id}`,
            text: t("quizOpen"),
            onclick: () => openQuiz(q),
          });
          const qdist = el("span", { class: "dist" });
          distanceCells.push({ node: qdist, point: q.position });
          qlist.append(
            el(
              "li",
              { class: "quiz-item", "data-quiz": q.id },
              el("p", { class: "question", text: pick(q.question) }),
              el("p", { class: "quiz-meta" }, `+${q.reward} ${t("tokens")} · `, qdist, " ", status),
              button,
            ),
          );
          quizRows.set(q.id, { status, button });
        }
        return el(
          "li",
          { class: lm.highlight ? "landmark highlight" : "landmark", "data-landmark": lm.id },
          el(
            "article",
            { "aria-labelledby": `lm-${lm.id}` },
            el(
              "h3",
              { id: `lm-${lm.id}` },
              pick(lm.name),
              " ",
              el("span", {
                class: "other-lang",
                lang: t("langToggle") === "English" ? "en" : "th",
                text: pickOther(lm.name),
              }),
            ),
            lm.highlight ? el("p", { class: "badge", text: `★ ${t("highlight")}` }) : null,
            el("p", { text: pick(lm.description) }),
            dist,
            el(
              "div",
              { class: "row" },
              el("button", {
                type: "button",
                class: "secondary",
                "data-key": `walk:${lm.id}`,
                text: t("walkHere"),
                onclick: () => walkTo(guide.front(lm), pick(lm.name)),
              }),
              speakerButton(() => `${pick(lm.name)}. ${pick(lm.description)}`),
            ),
            dialogueButton(state, conn, lm),
            quizzes.length ? el("h4", { text: t("quizPoint") }) : null,
            quizzes.length ? qlist : null,
          ),
        );
      });
    rerender(list, ...items);
    refreshDistances();
    refreshQuizzes();
  }

  function refreshDistances() {
    const me = state.me;
    for (const { node, point } of distanceCells) {
      node.textContent = me
        ? t("metresAway", { n: Math.round(Math.hypot(point[0] - me.x, point[1] - me.z)) })
        : "";
    }
    renderNext();
  }

  function refreshQuizzes() {
    for (const [id, row] of quizRows) {
      const q = state.quizzes.get(id);
      const s = q?.status;
      row.status.textContent =
        s === "correct"
          ? `✓ ${t("quizDone")}`
          : s === "used"
            ? t("noAttempts")
            : s === "retry"
              ? `${t("quizAttemptsLeft")} ${q.attempts_left}`
              : "";
      row.button.disabled = s === "correct" || state.quizFinished(id);
    }
  }

  async function openQuiz(q) {
    if (state.learningSupported === false) {
      announce(t("quizNotWired"), { tone: "warn" });
      return;
    }
    const opener = document.activeElement;
    const me = state.me;
    const far = !me || Math.hypot(q.position[0] - me.x, q.position[1] - me.z) > q.radius - 0.5;
    if (far) {
      const lm = state.landmarkIndex.get(q.landmark);
      const arrived = await walkTo(q.position, `${t("quizPoint")} · ${pick(lm?.name)}`);
      if (!arrived) return;
    }
    await quiz.open(q.id, { opener });
  }

  // -- events: on now and coming up; an event's quiz points show only in its window ----------
  const events = section("events", "events");
  const eventBoard = new EventBoard(state, events.body, async (ev) => {
    const on = ev.quiz_points
      .map((id) => state.quizIndex.get(id))
      .find((q) => q && state.quizOn(q.id));
    if (on) await openQuiz(on);
    else await walkTo(guide.front(state.landmarkIndex.get(ev.landmark)), pick(ev.title));
  });

  // -- quests, booths, wallet, leaderboard -----------------------------------------------------
  const quests = section("quests", "quests");
  const booths = section("booths", "booths");
  const wallet = section("wallet", "wallet");
  const board = section("leaderboard", "leaderboard");
  const boardRefresh = el("button", {
    type: "button",
    class: "secondary",
    "data-key": "lb-refresh",
    onclick: () => ask(conn, state, MsgType.LEADERBOARD_GET, { follow: true }),
  });
  const boardBody = el("div");
  board.body.append(boardBody, boardRefresh);
  let slots = new Map(manifest.booth_slots.map((b) => [b.id, b]));

  function renderQuests() {
    rerender(quests.body, questsView(state));
  }
  /** A point in front of a booth's counter (its footprint itself is solid). */
  function boothFront(slot) {
    const b = slots.get(slot);
    const a = (b.facing * Math.PI) / 180;
    const out = b.depth / 2 + 1.2;
    return walkable.nearestFit([
      b.position[0] + Math.cos(a) * out,
      b.position[1] - Math.sin(a) * out,
    ]);
  }

  function boothDistance(slot) {
    const me = state.me;
    const b = slots.get(slot);
    return me ? Math.hypot(b.position[0] - me.x, b.position[1] - me.z) : Infinity;
  }

  /** Redeeming needs the avatar at the counter: walk there first when it is not. */
  async function redeemHere(slot, promo) {
    const name = pick(state.booths.get(slot)?.booth?.name) || slot;
    if (boothDistance(slot) > BOOTH_REACH_M && !(await walkTo(boothFront(slot), name))) return;
    await redeem(conn, state, slot, promo);
  }

  function renderBooths() {
    const view = boothsView(state, redeemHere, {
      distanceTo: state.me ? boothDistance : null,
      onReport: (slot, name, opener) => safety.reportBooth(slot, name, opener),
    });
    // Each open booth gets a "walk here" button.
    for (const item of view.querySelectorAll?.("li.booth") ?? []) {
      const slot = item.dataset.slot;
      const label = pick(state.booths.get(slot)?.booth?.name) || slot;
      item.append(
        el("button", {
          type: "button",
          class: "secondary",
          "data-key": `walkbooth:${slot}`,
          text: t("walkHere"),
          onclick: () => walkTo(boothFront(slot), label),
        }),
      );
    }
    const nothingOpen = !view.querySelector?.("li.booth");
    const toShops =
      nothingOpen && manifest.booth_slots.length
        ? el("button", {
            type: "button",
            class: "secondary",
            "data-key": "walk-shops",
            text: t("walkToShops"),
            onclick: () => walkTo(boothFront(manifest.booth_slots[0].id), t("booths")),
          })
        : null;
    rerender(booths.body, view, toShops);
  }
  function renderWallet() {
    rerender(wallet.body, walletView(state), coursesView(state, conn));
  }
  function renderBoard() {
    boardRefresh.textContent = `↻ ${t("leaderboard")}`;
    rerender(boardBody, leaderboardView(state));
  }

  // -- people nearby, chat and emotes, settings --------------------------------------------------
  const people = section("people", "peopleHere");
  const peopleList = el("ul", { class: "people-list" });
  people.body.append(peopleList);
  function renderPeople() {
    const names = [...state.avatars.values()]
      .map((a) => a.name)
      .sort((a, b) => a.localeCompare(b, "th"));
    fill(peopleList, ...names.map((n) => el("li", { text: n })));
    if (state.more) peopleList.append(el("li", { text: `+${state.more}` }));
  }

  const chat = section("chat-section", "chat");
  const chatLog = el("div", { class: "chat-log", role: "log", "aria-live": "polite" });
  const chatInput = el("input", {
    id: "list-chat-input",
    name: "text",
    maxlength: 200,
    autocomplete: "off",
  });
  const chatLabel = el("label", { for: "list-chat-input" });
  const sendBtn = el("button", { type: "submit", class: "primary" });
  const chatForm = el("form", { class: "chat-form" }, chatLabel, chatInput, sendBtn);
  chatForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = chatInput.value.trim();
    if (text) conn.send(MsgType.CHAT, { text });
    chatInput.value = "";
  });
  const emotes = el("div", { class: "emotes", role: "group" });
  chat.body.append(chatLog, chatForm, emotes);

  const settings = section("settings-section", "settingsTitle");
  function renderSettings() {
    rerender(
      settings.body,
      settingsView({
        conn,
        state,
        visitor,
        mode: "list",
        prefix: "list",
        onWelcome: () => welcome(true),
      }),
    );
  }
  document.getElementById("btn-settings").addEventListener("click", () => {
    settings.node.scrollIntoView({ block: "start" });
    settings.node.querySelector("h2").focus();
  });

  function renderChatChrome() {
    chatLabel.textContent = t("chat");
    chatInput.placeholder = t("chatPlaceholder");
    sendBtn.textContent = t("send");
    emotes.setAttribute("aria-label", t("emotes"));
    fill(
      emotes,
      ...EMOTE_KEYS.map((key, i) =>
        el(
          "button",
          {
            type: "button",
            class: "secondary",
            "data-key": `emote:${i}`,
            onclick: () => conn.send(MsgType.EMOTE, { emote: i }),
          },
          el("span", { "aria-hidden": "true", text: `${EMOTE_ICONS[i]} ` }),
          t(key),
        ),
      ),
    );
  }

  // A table of contents: the page is long, and screen readers jump by links too.
  const sections = [events, landmarks, quests, booths, wallet, board, people, chat, settings];
  const toc = el(
    "nav",
    { class: "toc", "aria-labelledby": "toc-title" },
    el("h2", { id: "toc-title", class: "sr-only", "data-i18n": "contents" }),
  );
  const tocList = el("ul");
  toc.append(tocList);
  function renderToc() {
    fill(
      tocList,
      ...sections.map((sec) =>
        el(
          "li",
          {},
          el("a", { href: `#${sec.node.id}`, text: sec.node.querySelector("h2").textContent }),
        ),
      ),
    );
  }
  main.append(where.node, toc, ...sections.map((sec) => sec.node));

  function renderAll() {
    for (const h of main.querySelectorAll("h2[data-i18n]")) h.textContent = t(h.dataset.i18n);
    walkBar.setAttribute("aria-label", t("walkingTo"));
    stopBtn.textContent = walker.walking ? t("stopWalk") : t("close");
    renderWhere();
    eventBoard.render();
    buildLandmarks();
    renderNext(true);
    renderQuests();
    renderBooths();
    renderWallet();
    renderBoard();
    renderPeople();
    renderChatChrome();
    renderSettings();
    renderToc();
  }

  const welcomeDialog = document.getElementById("welcome-dialog");
  const welcome = (force = false) => showWelcome(welcomeDialog, { onGo: goNext, force });

  state.addEventListener("change", (e) => {
    const { what, msg, entered, left, reset } = e.detail;
    if (what === "scene") {
      // Live reload: the rebuilt street's landmarks, quiz points and booths, same session.
      manifest = state.manifest;
      walkable = new Walkable(manifest);
      road = new Road(manifest.street.centreline);
      Object.assign(guide, { walkable, road });
      guide.fronts.clear();
      guide.reconsider();
      walker.walkable = walkable;
      slots = new Map(manifest.booth_slots.map((b) => [b.id, b]));
      renderAll();
      document.body.dataset.scene = msg.content_hash;
      announce(t("streetUpdated"), { tone: "good" });
    }
    // The board is on the page all the time, so follow its changes from the start.
    if (what === "welcome") conn.send(MsgType.LEADERBOARD_GET, { follow: true });
    if (what === "welcome" || what === "travelled") guide.reconsider();
    if (what === "my_name") conn.send(MsgType.LEADERBOARD_GET, { follow: true });
    if (what === "welcome" || what === "correction" || what === "travelled") {
      renderNext(true);
      renderWhere();
      refreshDistances();
      renderBooths();
    }
    if (what === "quiz_result" || what === "quiz_question") refreshQuizzes();
    if (["quests", "quiz_result", "welcome"].includes(what)) {
      renderQuests();
      renderNext();
    }
    if (what === "booth" || what === "support") renderBooths();
    if (what === "events" || what === "events_edge") buildLandmarks();
    if (what === "wallet" || what === "coupon") {
      renderWallet();
      renderBooths();
    }
    if (what === "leaderboard") renderBoard();
    if (what === "frame" && (entered.length || left.length || reset)) renderPeople();
    if (what === "chat") {
      const line = el(
        "p",
        {},
        el("strong", { text: `${msg.name}: ` }),
        el("span", { text: msg.text }),
      );
      if (msg.avatar_id !== state.me?.id)
        line.append(" ", safety.button(msg.avatar_id, msg.name, msg.text));
      chatLog.append(line);
      while (chatLog.children.length > 20) chatLog.firstElementChild.remove();
    }
    if (what === "emote") {
      const who =
        msg.avatar_id === state.me?.id ? visitor.name : state.avatars.get(msg.avatar_id)?.name;
      if (who)
        chatLog.append(
          el("p", { class: "emote-line", text: `${who}: ${t(EMOTE_KEYS[msg.emote] ?? "emotes")}` }),
        );
    }
  });
  onLang(renderAll);
  renderAll();
  if (conn.online) conn.send(MsgType.LEADERBOARD_GET, { follow: true });
  keepOneName(conn, state, visitor);
  welcome();
  window.srichan = { state, conn, walker, quiz, guide };
}
