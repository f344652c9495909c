// The list mode: the whole street as plain, semantic HTML for screen readers, old phones and
// slow links (and the automatic fallback without WebGL). Landmarks in order along the road,
// each with its quiz points; choosing one walks the avatar there for real, then opens the
// quiz. Quests, booths, wallet, leaderboard, people nearby and chat, like the 3D mode.

import { MsgType } from "../protocol.js";
import { announce, el, fill } from "./dom.js";
import { Road, Walkable } from "./geometry.js";
import { EMOTE_KEYS } from "./emotes.js";
import { onLang, pick, pickOther, t } from "./i18n.js";
import {
  BOOTH_REACH_M,
  QuizDialog,
  ask,
  boothsView,
  leaderboardView,
  nicknameForm,
  questsView,
  redeem,
  walletView,
} from "./panels.js";
import { Walker } from "./walker.js";

/** Re-render `container` keeping keyboard focus on the "same" control (by data-key). */
function rerender(container, ...children) {
  const focused = document.activeElement;
  const key = container.contains(focused) ? focused?.dataset?.key : null;
  fill(container, ...children);
  if (key) container.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus();
}

function section(id, titleKey) {
  const heading = el("h2", { id: `${id}-title`, "data-i18n": titleKey, text: t(titleKey) });
  const body = el("div", { class: "section-body" });
  const node = el(
    "section",
    { id, class: "list-section", "aria-labelledby": `${id}-title` },
    heading,
    body,
  );
  return { node, body };
}

export async function startList({ manifest, state, conn, visitor, fallback }) {
  const main = document.getElementById("list");
  main.hidden = false;
  const walkable = new Walkable(manifest);
  const road = new Road(manifest.street.centreline);
  const walker = new Walker(conn, state, walkable);
  const quiz = new QuizDialog(document.getElementById("quiz-dialog"), conn, state);

  /** A point in front of a landmark: from the centreline towards the building until blocked. */
  function frontOf(lm) {
    const [station] = road.locate(lm.position);
    const start = walkable.nearestFit(placeOnRoad(station));
    const [dx, dz] = [lm.position[0] - start[0], lm.position[1] - start[1]];
    const len = Math.hypot(dx, dz) || 1;
    let best = start;
    for (let s = 0.5; s < len; s += 0.5) {
      const p = [start[0] + (dx / len) * s, start[1] + (dz / len) * s];
      if (!walkable.fits(p)) break;
      best = p;
    }
    // Stop a couple of metres short of the wall.
    const back = Math.max(0, Math.hypot(best[0] - start[0], best[1] - start[1]) - 2);
    return [start[0] + (dx / len) * back, start[1] + (dz / len) * back];
  }

  function placeOnRoad(station) {
    let remaining = station;
    const pts = road.points;
    for (let i = 1; i < pts.length; i++) {
      const seg = road.lengths[i - 1];
      if (remaining <= seg || i === pts.length - 1) {
        const k = Math.min(1, remaining / seg);
        return [
          pts[i - 1][0] + (pts[i][0] - pts[i - 1][0]) * k,
          pts[i - 1][1] + (pts[i][1] - pts[i - 1][1]) * k,
        ];
      }
      remaining -= seg;
    }
    return pts[0];
  }

  // -- where am I -------------------------------------------------------------------------------
  const where = section("where", "youAreAt");
  const whereText = el("p", { id: "where-text" });
  const walkStatus = el("p", { id: "walk-status", role: "status" });
  const walkBar = el("progress", {
    id: "walk-progress",
    max: 1,
    value: 0,
    hidden: true,
    "aria-label": t("walkingTo"),
  });
  const stopBtn = el("button", {
    type: "button",
    class: "secondary",
    hidden: true,
    "data-key": "stop-walk",
    text: t("close"),
    onclick: () => walker.stop("stopped"),
  });
  where.body.append(whereText, walkBar, walkStatus, stopBtn);
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
    whereText.textContent = `${t("station")} ${Math.round(station)} m · ${t("nearby")}: ${pick(lm.name)} (${t("metresAway", { n: Math.round(d) })})`;
  }

  let walkLabel = "";
  walker.addEventListener("progress", (e) => {
    const { remaining, total } = e.detail;
    walkBar.max = Math.max(1, total);
    walkBar.value = Math.max(0, total - remaining);
    renderWhere();
    refreshDistances();
  });

  /** Walk to `target`, telling the visitor (politely, once) where they go and when they arrive. */
  async function walkTo(target, label) {
    walkLabel = label;
    walkStatus.textContent = `${t("walkingTo")} ${label}…`;
    walkBar.hidden = false;
    stopBtn.hidden = false;
    const result = await walker.walkTo(target);
    walkBar.hidden = true;
    stopBtn.hidden = true;
    renderWhere();
    refreshDistances();
    if (result === "arrived") {
      walkStatus.textContent = `${t("arrived")} ${walkLabel}`;
      return true;
    }
    walkStatus.textContent = result === "offline" ? t("connOffline") : t("errorGeneric");
    return false;
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
        const quizzes = manifest.quiz_points.filter((q) => q.landmark === lm.id);
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
            el("button", {
              type: "button",
              class: "secondary",
              "data-key": `walk:${lm.id}`,
              text: t("walkHere"),
              onclick: () => walkTo(frontOf(lm), pick(lm.name)),
            }),
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
      row.button.disabled = s === "correct" || s === "used";
    }
  }

  async function openQuiz(q) {
    if (state.learningSupported === false) {
      announce(t("quizNotWired"), { tone: "warn" });
      return;
    }
    const me = state.me;
    const far = !me || Math.hypot(q.position[0] - me.x, q.position[1] - me.z) > q.radius - 0.5;
    if (far) {
      const lm = state.landmarkIndex.get(q.landmark);
      const arrived = await walkTo(q.position, `${t("quizPoint")} · ${pick(lm?.name)}`);
      if (!arrived) return;
    }
    await quiz.open(q.id);
  }

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
  const slots = new Map(manifest.booth_slots.map((b) => [b.id, b]));

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
    const view = boothsView(state, redeemHere, { distanceTo: state.me ? boothDistance : null });
    // Each open booth gets a "walk here" button, and keys that keep focus across renders.
    for (const item of view.querySelectorAll?.("li.booth") ?? []) {
      const slot = item.dataset.slot;
      for (const b of item.querySelectorAll("button.redeem")) {
        b.dataset.key = `redeem:${slot}:${b.closest("li").dataset.promotion}`;
      }
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
    rerender(wallet.body, walletView(state));
  }
  function renderBoard() {
    boardRefresh.textContent = `↻ ${t("leaderboard")}`;
    rerender(boardBody, leaderboardView(state));
  }

  // -- people nearby, nickname, chat and emotes -------------------------------------------------
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

  const nick = section("nickname-section", "nickname");
  function renderChatChrome() {
    chatLabel.textContent = t("chat");
    chatInput.placeholder = t("chatPlaceholder");
    sendBtn.textContent = t("send");
    rerender(nick.body, nicknameForm(conn, state, visitor));
    emotes.setAttribute("aria-label", t("emotes"));
    fill(
      emotes,
      ...EMOTE_KEYS.map((key, i) =>
        el("button", {
          type: "button",
          class: "secondary",
          "data-key": `emote:${i}`,
          text: t(key),
          onclick: () => conn.send(MsgType.EMOTE, { emote: i }),
        }),
      ),
    );
  }

  // A table of contents: the page is long, and screen readers jump by links too.
  const sections = [landmarks, quests, booths, wallet, board, people, chat, nick];
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
    stopBtn.textContent = t("close");
    renderWhere();
    buildLandmarks();
    renderQuests();
    renderBooths();
    renderWallet();
    renderBoard();
    renderPeople();
    renderChatChrome();
    renderToc();
  }

  state.addEventListener("change", (e) => {
    const { what, msg, entered, left, reset } = e.detail;
    // The board is on the page all the time, so follow its changes from the start.
    if (what === "welcome") conn.send(MsgType.LEADERBOARD_GET, { follow: true });
    if (what === "welcome" || what === "correction") {
      renderWhere();
      refreshDistances();
      renderBooths();
    }
    if (what === "quiz_result" || what === "quiz_question") refreshQuizzes();
    if (["quests", "quiz_result", "welcome"].includes(what)) renderQuests();
    if (what === "booth" || what === "support") renderBooths();
    if (what === "wallet" || what === "coupon") {
      renderWallet();
      renderBooths();
    }
    if (what === "leaderboard") renderBoard();
    if (what === "frame" && (entered.length || left.length || reset)) renderPeople();
    if (what === "chat") {
      chatLog.append(
        el("p", {}, el("strong", { text: `${msg.name}: ` }), el("span", { text: msg.text })),
      );
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
  window.srichan = { state, conn, walker, quiz };
}
