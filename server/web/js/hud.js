// The 3D mode's overlay, laid out so the street keeps most of the screen: the guide (the one
// next action, or the walk in progress), a small minimap, the landmark chip (expands on tap),
// the joystick on touch screens, chat and emotes behind one button, the bottom bar (icon and
// word), and the panel dialog (quests, wallet, shops, leaderboard, settings).

import { MsgType } from "../protocol.js";
import { coursesView } from "./courses.js";
import { dialogueButton } from "./dialogue.js";
import { el, fill, rerender } from "./dom.js";
import { EMOTE_ICONS, EMOTE_KEYS } from "./emotes.js";
import { distanceToPolygon } from "./geometry.js";
import { distanceText, walkLeftText } from "./guide.js";
import { currentLang, onLang, pick, pickOther, t } from "./i18n.js";
import {
  BOOTH_REACH_M,
  ask,
  boothsView,
  leaderboardView,
  questsView,
  redeem,
  walletView,
} from "./panels.js";
import { Safety } from "./safety.js";
import { settingsView } from "./settings.js";
import { speakerButton } from "./speech.js";

const CHAT_FEED_MS = 9000;

export class Hud {
  /**
   * `actions`: {takeMeThere(target), stopWalk(), openQuiz(quizId), showWelcome()} from the
   * 3D app; `guide` the shared Guide.
   */
  constructor(state, conn, visitor, guide, actions) {
    this.state = state;
    this.conn = conn;
    this.visitor = visitor;
    this.guideModel = guide;
    this.actions = actions;
    this.root = document.getElementById("hud");
    this.guideEl = document.getElementById("guide");
    this.card = document.getElementById("landmark-card");
    this.minimap = document.getElementById("minimap");
    this.chatLog = document.getElementById("chat-log");
    this.chatFeed = document.getElementById("chat-feed");
    this.chatSheet = document.getElementById("chat-sheet");
    this.chatToggle = document.getElementById("chat-toggle");
    this.chatCount = document.getElementById("chat-count");
    this.people = document.getElementById("people");
    this.panel = document.getElementById("panel-dialog");
    this.panelKind = null;
    this.panelOpener = null;
    this.cardLandmark = null;
    this.cardOpen = false;
    this.lastMinimap = 0;
    this.guideKey = "";
    this.guideInfo = null;
    this.unread = 0;
    this.safety = new Safety(conn, state);
    this.setupChat();
    this.setupPanels();
    // Phones stack the minimap, the chips and the joystick above the bottom bar.
    const bar = this.root.querySelector(".hud-buttons");
    const root = document.documentElement.style;
    new ResizeObserver(() => root.setProperty("--bar-h", `${bar.offsetHeight + 6}px`)).observe(bar);
    new ResizeObserver(() =>
      root.setProperty("--guide-h", `${this.guideEl.offsetHeight}px`),
    ).observe(this.guideEl);
    state.addEventListener("change", (e) => this.onChange(e.detail));
    onLang(() => this.refresh());
    this.refresh();
  }

  refresh() {
    this.guideKey = "";
    if (this.guideInfo) this.renderGuide(this.guideInfo);
    this.renderEmotes();
    this.renderCard(this.cardLandmark, true);
    if (this.panel.open) this.renderPanel();
    const touch = matchMedia("(pointer: coarse)").matches;
    document.getElementById("controls-hint").textContent = touch
      ? t("touchHint")
      : t("controlsHint");
    this.renderPeople();
    this.renderChatCount();
  }

  onChange({ what, msg }) {
    if (what === "chat") this.addChat(msg.name, msg.text, msg.avatar_id);
    if (what === "frame") this.renderPeople();
    const live = ["wallet", "leaderboard", "booth", "quests", "support", "coupon", "my_name"];
    if (this.panel.open && this.panelKind !== "settings" && live.includes(what)) {
      this.renderPanel();
    }
  }

  renderPeople() {
    const n = this.state.avatars.size + this.state.more + (this.state.me ? 1 : 0);
    this.people.textContent = n ? `${n} ${t("peopleHere")}` : "";
    this.people.hidden = !n;
  }

  // -- the guide: one next action -------------------------------------------------------------

  /**
   * `info` is one of {kind: "walk", label, remaining, total, speed}, {kind: "quiz", quizId,
   * label}, {kind: "next", next, pos} or {kind: "done"}. The structure is rebuilt only when
   * what it says changes; distances update in place (focus stays on the button).
   */
  renderGuide(info) {
    this.guideInfo = info;
    const key = this.guideKeyOf(info);
    if (key !== this.guideKey) {
      this.guideKey = key;
      rerender(this.guideEl, ...this.guideBody(info));
      this.guideEl.dataset.kind = info.kind;
    }
    const live = this.guideEl.querySelector(".guide-live");
    if (!live) return;
    if (info.kind === "walk") {
      live.textContent = walkLeftText(info.remaining, info.speed);
      const bar = this.guideEl.querySelector("progress");
      bar.max = Math.max(1, info.total);
      bar.value = Math.max(0, info.total - info.remaining);
    } else if (info.kind === "next" && info.next.step?.target && info.pos) {
      live.textContent = distanceText(info.pos, info.next.step.target.point);
    }
  }

  guideKeyOf(info) {
    if (info.kind === "walk") return `walk:${info.label}`;
    if (info.kind === "quiz") return `quiz:${info.quizId}`;
    if (info.kind === "next") {
      const { quest, progress, step } = info.next;
      return `next:${quest.id}:${progress.done}:${step?.index}:${step?.label}`;
    }
    return "done";
  }

  guideBody(info) {
    if (info.kind === "walk") {
      return [
        el(
          "p",
          { class: "guide-title" },
          `🚶 ${t("walkingTo")} `,
          el("strong", { text: info.label }),
        ),
        el("p", { class: "guide-live" }),
        el("progress", { max: 1, value: 0, "aria-label": t("walkingTo") }),
        el("button", {
          type: "button",
          class: "secondary",
          "data-key": "guide-stop",
          text: t("stopWalk"),
          onclick: () => this.actions.stopWalk(),
        }),
      ];
    }
    if (info.kind === "quiz") {
      return [
        el(
          "p",
          { class: "guide-title" },
          `❓ ${t("atQuizPoint")} `,
          el("strong", { text: info.label }),
        ),
        el("button", {
          type: "button",
          class: "primary",
          "data-key": "guide-open",
          text: t("openQuestion"),
          onclick: () => this.actions.openQuiz(info.quizId),
        }),
      ];
    }
    if (info.kind === "next") {
      const { quest, progress, step } = info.next;
      const out = [
        el(
          "p",
          { class: "guide-quest" },
          el("span", { text: pick(quest.title) }),
          ` · ${progress.done}/${progress.total}`,
        ),
        el(
          "p",
          { class: "guide-title" },
          `${t("next")}: `,
          el("strong", { text: step?.label ?? "" }),
        ),
      ];
      if (step?.target) {
        out.push(
          el("p", { class: "guide-live" }),
          el("button", {
            type: "button",
            class: "primary",
            "data-key": "guide-go",
            text: `🚶 ${t("takeMeThere")}`,
            onclick: () => this.actions.takeMeThere(step.target),
          }),
        );
      }
      return out;
    }
    return [el("p", { class: "guide-title", text: `✓ ${t("allQuestsDone")}` })];
  }

  // -- the landmark chip ------------------------------------------------------------------------

  /** Show the landmark the visitor is close to (a chip; its card on tap), or hide. */
  renderCard(lm, force = false) {
    if (lm === this.cardLandmark && !force) return;
    if (lm !== this.cardLandmark) this.cardOpen = false;
    this.cardLandmark = lm;
    if (!lm) {
      this.card.hidden = true;
      return;
    }
    const open = this.cardOpen;
    const toggle = el(
      "button",
      {
        type: "button",
        class: "chip-btn",
        "aria-expanded": open ? "true" : "false",
        "data-key": "landmark-toggle",
        onclick: () => {
          this.cardOpen = !this.cardOpen;
          this.renderCard(this.cardLandmark, true);
        },
      },
      el("span", { "aria-hidden": "true", text: "📍" }),
      el("span", { class: "chip-name", text: pick(lm.name) }),
      el("span", { "aria-hidden": "true", class: "chev", text: open ? "▾" : "▸" }),
    );
    const details = open
      ? el(
          "div",
          { class: "chip-details" },
          el("p", {
            class: "other-lang",
            lang: currentLang() === "th" ? "en" : "th",
            text: pickOther(lm.name),
          }),
          el("p", { text: pick(lm.description) }),
          lm.highlight ? el("p", { class: "badge", text: `★ ${t("highlight")}` }) : null,
          speakerButton(() => `${pick(lm.name)}. ${pick(lm.description)}`),
          dialogueButton(this.state, this.conn, lm),
        )
      : null;
    rerender(this.card, toggle, details);
    this.card.classList.toggle("open", open);
    this.card.hidden = false;
  }

  /** The landmark whose building is within `range` metres of the visitor, if any. */
  nearLandmark(x, z, range = 22) {
    let best = null;
    let bestD = range;
    for (const lm of this.state.manifest.landmarks) {
      for (const f of lm.footprints) {
        const d = distanceToPolygon([x, z], f);
        if (d < bestD) {
          bestD = d;
          best = lm;
        }
      }
    }
    return best;
  }

  // -- minimap ------------------------------------------------------------------------------

  drawMinimap(me, heading, nowMs, quizStatus, destination = null) {
    if (nowMs - this.lastMinimap < 150) return;
    this.lastMinimap = nowMs;
    const c = this.minimap;
    const ctx = c.getContext("2d");
    const w = c.width;
    const h = c.height;
    const scale = w / 170; // pixels per metre: 170 m across
    const m = this.state.manifest;
    const sx = (x) => w / 2 + (x - me[0]) * scale;
    const sy = (z) => h / 2 + (z - me[1]) * scale;
    const poly = (points) => {
      ctx.beginPath();
      points.forEach(([x, z], i) => (i ? ctx.lineTo(sx(x), sy(z)) : ctx.moveTo(sx(x), sy(z))));
      ctx.closePath();
    };
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#cfe3b8";
    ctx.fillRect(0, 0, w, h);
    ctx.fillStyle = "#9cc27f";
    poly(m.walkable.corridor);
    ctx.fill();
    const half = (m.street.lanes * m.street.lane_width) / 2;
    const pave = half + m.street.sidewalk_width;
    ctx.strokeStyle = "#d8d2c4";
    ctx.lineWidth = pave * 2 * scale;
    this.polyline(ctx, m.street.centreline, sx, sy);
    ctx.strokeStyle = "#6b6b70";
    ctx.lineWidth = half * 2 * scale;
    this.polyline(ctx, m.street.centreline, sx, sy);
    for (const lm of m.landmarks) {
      ctx.fillStyle = lm.highlight ? "#d4a017" : "#8c1c13";
      for (const f of lm.footprints) {
        poly(f);
        ctx.fill();
      }
    }
    for (const b of m.booth_slots) {
      const open = this.state.booths.get(b.id)?.booth;
      ctx.fillStyle = open ? "#e07a5f" : "rgba(224,122,95,0.35)";
      ctx.fillRect(sx(b.position[0]) - 3, sy(b.position[1]) - 3, 6, 6);
    }
    for (const q of m.quiz_points) {
      if (!this.state.quizOn(q.id)) continue;
      const s = quizStatus(q.id);
      ctx.fillStyle = s === "correct" ? "#2e7d32" : s === "used" ? "#9e9e9e" : "#ffb300";
      ctx.beginPath();
      ctx.arc(sx(q.position[0]), sy(q.position[1]), 3.5, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.fillStyle = "#1565c0";
    const rt = this.state.renderTime();
    for (const a of this.state.avatars.values()) {
      const p = a.at(rt);
      ctx.beginPath();
      ctx.arc(sx(p.x), sy(p.z), 2.5, 0, Math.PI * 2);
      ctx.fill();
    }
    if (destination) {
      ctx.strokeStyle = "#1a73e8";
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.arc(sx(destination[0]), sy(destination[1]), 6, 0, Math.PI * 2);
      ctx.stroke();
    }
    // Me: an arrow along my heading (screen up is north, −z).
    const hr = (heading * Math.PI) / 180;
    const dx = Math.cos(hr);
    const dy = -Math.sin(hr);
    ctx.fillStyle = "#d62828";
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(w / 2 + dx * 8, h / 2 + dy * 8);
    ctx.lineTo(w / 2 - dx * 5 - dy * 5, h / 2 - dy * 5 + dx * 5);
    ctx.lineTo(w / 2 - dx * 5 + dy * 5, h / 2 - dy * 5 - dx * 5);
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  }

  polyline(ctx, points, sx, sy) {
    ctx.beginPath();
    points.forEach(([x, z], i) => (i ? ctx.lineTo(sx(x), sy(z)) : ctx.moveTo(sx(x), sy(z))));
    ctx.stroke();
  }

  // -- chat and emotes: one button opens both ---------------------------------------------------

  setupChat() {
    const form = document.getElementById("chat-form");
    const input = document.getElementById("chat-input");
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      this.conn.send(MsgType.CHAT, { text });
      input.value = "";
    });
    this.chatToggle.addEventListener("click", () => this.setChatOpen(this.chatSheet.hidden));
    document.getElementById("chat-close").addEventListener("click", () => {
      this.setChatOpen(false);
      this.chatToggle.focus();
    });
    this.chatSheet.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        this.setChatOpen(false);
        this.chatToggle.focus();
      }
    });
    window.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && document.activeElement === document.body) {
        this.setChatOpen(true);
        e.preventDefault();
      }
    });
  }

  get chatOpen() {
    return !this.chatSheet.hidden;
  }

  setChatOpen(open) {
    this.chatSheet.hidden = !open;
    this.chatToggle.setAttribute("aria-expanded", open ? "true" : "false");
    this.chatFeed.hidden = open;
    if (open) {
      this.unread = 0;
      this.renderChatCount();
      this.chatLog.scrollTop = this.chatLog.scrollHeight;
      document.getElementById("chat-input").focus();
    }
  }

  renderChatCount() {
    this.chatCount.hidden = !this.unread;
    this.chatCount.textContent = this.unread ? String(this.unread) : "";
    this.chatToggle.setAttribute(
      "aria-label",
      this.unread ? `${t("chat")} (${t("unread", { n: this.unread })})` : t("chat"),
    );
  }

  renderEmotes() {
    const host = document.getElementById("emotes");
    fill(
      host,
      ...EMOTE_KEYS.map((key, i) =>
        el(
          "button",
          {
            type: "button",
            class: "emote-btn",
            "aria-label": t(key),
            title: t(key),
            onclick: () => this.conn.send(MsgType.EMOTE, { emote: i }),
          },
          el("span", { "aria-hidden": "true", text: EMOTE_ICONS[i] }),
        ),
      ),
    );
    host.setAttribute("aria-label", t("emotes"));
  }

  addChat(name, text, avatarId) {
    const line = () => el("p", {}, el("strong", { text: `${name}: ` }), el("span", { text }));
    const logged = line();
    if (avatarId !== this.state.me?.id)
      logged.append(" ", this.safety.button(avatarId, name, text));
    this.chatLog.append(logged);
    while (this.chatLog.children.length > 30) this.chatLog.firstElementChild.remove();
    this.chatLog.scrollTop = this.chatLog.scrollHeight;
    if (this.chatOpen) return;
    // Closed: a short-lived line above the bar, and a count on the button.
    this.unread += 1;
    this.renderChatCount();
    const feed = line();
    this.chatFeed.append(feed);
    while (this.chatFeed.children.length > 2) this.chatFeed.firstElementChild.remove();
    setTimeout(() => feed.remove(), CHAT_FEED_MS);
  }

  // -- panels -------------------------------------------------------------------------------

  setupPanels() {
    for (const btn of document.querySelectorAll("[data-panel]")) {
      btn.addEventListener("click", () => this.openPanel(btn.dataset.panel, btn));
    }
    document
      .getElementById("btn-settings")
      .addEventListener("click", (e) => this.openPanel("settings", e.currentTarget));
    this.panel.addEventListener("close", () => {
      if (this.panelKind === "leaderboard" && this.conn.online) {
        this.conn.send(MsgType.LEADERBOARD_GET, { follow: false });
      }
      const opener = this.panelOpener;
      this.panelOpener = null;
      if (opener?.isConnected) opener.focus();
    });
  }

  openPanel(kind, opener = null) {
    this.panelKind = kind;
    if (opener) this.panelOpener = opener;
    if (kind === "wallet") {
      ask(this.conn, this.state, MsgType.WALLET_GET, {});
      ask(this.conn, this.state, MsgType.BADGES_GET, {}, { fallback: true });
    }
    // While the board is open the server pushes changes (follow); closing stops them.
    if (kind === "leaderboard")
      ask(this.conn, this.state, MsgType.LEADERBOARD_GET, { follow: true });
    this.renderPanel();
    if (!this.panel.open) this.panel.showModal();
    this.panel.querySelector("#panel-title")?.focus();
  }

  renderPanel() {
    const kind = this.panelKind;
    const titles = {
      quests: "quests",
      wallet: "wallet",
      booths: "booths",
      leaderboard: "leaderboard",
      settings: "settingsTitle",
    };
    let body;
    if (kind === "settings")
      body = settingsView({
        conn: this.conn,
        state: this.state,
        visitor: this.visitor,
        mode: "3d",
        onWelcome: () => {
          this.panel.close();
          this.actions.showWelcome();
        },
      });
    else if (kind === "quests") body = questsView(this.state);
    else if (kind === "wallet")
      body = el("div", {}, walletView(this.state), coursesView(this.state, this.conn));
    else if (kind === "leaderboard") body = leaderboardView(this.state);
    else {
      const me = this.state.me;
      const slots = new Map(this.state.manifest.booth_slots.map((b) => [b.id, b]));
      body = boothsView(this.state, (slot, promo) => redeem(this.conn, this.state, slot, promo), {
        reach: BOOTH_REACH_M,
        onReport: (slot, name, opener) => this.safety.reportBooth(slot, name, opener),
        distanceTo: me
          ? (slot) =>
              Math.hypot(slots.get(slot).position[0] - me.x, slots.get(slot).position[1] - me.z)
          : null,
      });
    }
    rerender(
      this.panel,
      el(
        "div",
        { class: "dialog-body" },
        el(
          "header",
          { class: "dialog-head" },
          el("h2", { id: "panel-title", tabindex: "-1", text: t(titles[kind]) }),
          el("button", {
            type: "button",
            class: "secondary",
            "data-key": "panel-close",
            text: t("close"),
            onclick: () => this.panel.close(),
          }),
        ),
        body,
      ),
    );
  }
}
