// The 3D mode's overlay: quest tracker, minimap, landmark card, chat with emotes, people
// count, and the panel dialog (quests, wallet, booths, leaderboard).

import { MsgType } from "../protocol.js";
import { el, fill } from "./dom.js";
import { onLang, pick, pickOther, t } from "./i18n.js";
import {
  BOOTH_REACH_M,
  ask,
  nicknameForm,
  boothsView,
  currentQuest,
  leaderboardView,
  nextStepText,
  questProgress,
  questsView,
  redeem,
  walletView,
} from "./panels.js";
import { EMOTE_ICONS, EMOTE_KEYS } from "./emotes.js";
import { distanceToPolygon } from "./geometry.js";

export class Hud {
  constructor(state, conn, visitor) {
    this.state = state;
    this.conn = conn;
    this.visitor = visitor;
    this.root = document.getElementById("hud");
    this.tracker = document.getElementById("quest-tracker-body");
    this.card = document.getElementById("landmark-card");
    this.minimap = document.getElementById("minimap");
    this.chatLog = document.getElementById("chat-log");
    this.people = document.getElementById("people");
    this.panel = document.getElementById("panel-dialog");
    this.panelKind = null;
    this.cardLandmark = null;
    this.lastMinimap = 0;
    this.setupChat();
    this.setupPanels();
    state.addEventListener("change", (e) => this.onChange(e.detail));
    onLang(() => this.refresh());
    this.refresh();
  }

  refresh() {
    this.renderTracker();
    this.renderEmotes();
    this.renderCard(this.cardLandmark, true);
    if (this.panel.open) this.renderPanel();
    const touch = matchMedia("(pointer: coarse)").matches;
    document.getElementById("controls-hint").textContent = touch
      ? t("touchHint")
      : t("controlsHint");
    this.renderPeople();
  }

  onChange({ what, msg }) {
    if (what === "quests" || what === "quiz_result" || what === "welcome") this.renderTracker();
    if (what === "chat") this.addChat(msg.name, msg.text);
    if (what === "frame") this.renderPeople();
    const live = ["wallet", "leaderboard", "booth", "quests", "support", "coupon"];
    if (this.panel.open && this.panelKind !== "profile" && live.includes(what)) {
      this.renderPanel();
    }
  }

  renderPeople() {
    const n = this.state.avatars.size + this.state.more + (this.state.me ? 1 : 0);
    this.people.textContent = n ? `${n} ${t("peopleHere")}` : "";
  }

  renderTracker() {
    const quest = currentQuest(this.state);
    if (!quest) {
      fill(this.tracker, el("p", { text: t("questDone") }));
      return;
    }
    const p = questProgress(this.state, quest);
    fill(
      this.tracker,
      el("p", { class: "tracker-quest", text: pick(quest.title) }),
      el(
        "p",
        { class: "tracker-line" },
        el("progress", { max: p.total, value: p.done, "aria-label": pick(quest.title) }),
        ` ${p.done}/${p.total}`,
      ),
      el("p", { class: "tracker-next", text: `→ ${nextStepText(this.state, quest)}` }),
    );
  }

  /** Show the landmark the visitor is close to (name and short description), or hide. */
  renderCard(lm, force = false) {
    if (lm === this.cardLandmark && !force) return;
    this.cardLandmark = lm;
    if (!lm) {
      this.card.hidden = true;
      return;
    }
    fill(
      this.card,
      el("h2", { text: pick(lm.name) }),
      el("p", { class: "other-lang", text: pickOther(lm.name) }),
      el("p", { text: pick(lm.description) }),
      lm.highlight ? el("p", { class: "badge", text: `★ ${t("highlight")}` }) : null,
    );
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

  drawMinimap(me, heading, nowMs, quizStatus) {
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

  // -- chat and emotes ----------------------------------------------------------------------

  setupChat() {
    const form = document.getElementById("chat-form");
    const input = document.getElementById("chat-input");
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      this.conn.send(MsgType.CHAT, { text });
      input.value = "";
      input.blur();
    });
    window.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && document.activeElement === document.body) {
        input.focus();
        e.preventDefault();
      }
    });
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

  addChat(name, text) {
    this.chatLog.append(el("p", {}, el("strong", { text: `${name}: ` }), el("span", { text })));
    while (this.chatLog.children.length > 6) this.chatLog.firstElementChild.remove();
  }

  // -- panels -------------------------------------------------------------------------------

  setupPanels() {
    for (const btn of document.querySelectorAll("[data-panel]")) {
      btn.addEventListener("click", () => this.openPanel(btn.dataset.panel));
    }
    this.panel.addEventListener("close", () => {
      if (this.panelKind === "leaderboard" && this.conn.online) {
        this.conn.send(MsgType.LEADERBOARD_GET, { follow: false });
      }
    });
  }

  openPanel(kind) {
    this.panelKind = kind;
    if (kind === "wallet") ask(this.conn, this.state, MsgType.WALLET_GET, {});
    // While the board is open the server pushes changes (follow); closing stops them.
    if (kind === "leaderboard")
      ask(this.conn, this.state, MsgType.LEADERBOARD_GET, { follow: true });
    this.renderPanel();
    if (!this.panel.open) this.panel.showModal();
  }

  renderPanel() {
    const kind = this.panelKind;
    const titles = {
      quests: "quests",
      wallet: "wallet",
      booths: "booths",
      leaderboard: "leaderboard",
      profile: "profile",
    };
    let body;
    if (kind === "profile") body = nicknameForm(this.conn, this.state, this.visitor);
    else if (kind === "quests") body = questsView(this.state);
    else if (kind === "wallet") body = walletView(this.state);
    else if (kind === "leaderboard") body = leaderboardView(this.state);
    else {
      const me = this.state.me;
      const slots = new Map(this.state.manifest.booth_slots.map((b) => [b.id, b]));
      body = boothsView(this.state, (slot, promo) => redeem(this.conn, this.state, slot, promo), {
        reach: BOOTH_REACH_M,
        distanceTo: me
          ? (slot) =>
              Math.hypot(slots.get(slot).position[0] - me.x, slots.get(slot).position[1] - me.z)
          : null,
      });
    }
    fill(
      this.panel,
      el(
        "div",
        { class: "dialog-body" },
        el(
          "header",
          { class: "dialog-head" },
          el("h2", { id: "panel-title", text: t(titles[kind]) }),
          el("button", {
            type: "button",
            class: "secondary",
            text: t("close"),
            onclick: () => this.panel.close(),
          }),
        ),
        body,
      ),
    );
  }
}
