// Events on the street: "กำลังจัดอยู่ · Happening now" and "เร็ว ๆ นี้ · Coming up", each
// with a live countdown, "take me there" and the event in the visitor's calendar (.ics). The
// calendar comes from the manifest, or from the `events` message once operators changed it
// (state.events). Times are Unix seconds, shown in Bangkok time; the window is judged by the
// visitor's clock, and the server refuses outside it anyway (event_not_now). The board ticks
// once a second: countdowns change in place, and at a window's edge it re-renders and tells
// the street (`events_edge`) so event quiz points appear and vanish without a reload.

import { announce, el, rerender } from "./dom.js";
import { currentLang, pick, pickOther, t } from "./i18n.js";

export const SOON_S = 7 * 86400;
const nowS = () => Date.now() / 1000;

/** Events on now, ending first; events starting within a week, starting first. */
export function eventsNow(state, now = nowS()) {
  return state.events
    .filter((e) => !e.cancelled && e.starts <= now && now < e.ends)
    .sort((a, b) => a.ends - b.ends);
}

export function eventsSoon(state, now = nowS()) {
  return state.events
    .filter((e) => !e.cancelled && now < e.starts && e.starts <= now + SOON_S)
    .sort((a, b) => a.starts - b.starts);
}

/** "2 วัน 3 ชม." under a week's scale, "1:05:09" within a day. */
export function countdown(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  if (days > 0) return t("eventDaysHours", { d: days, h: hours });
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return `${hours}:${mm}:${ss}`;
}

/** A time in Bangkok, in the visitor's language (Buddhist-era dates in Thai). */
export function bangkokTime(at, withDate = true) {
  const options = { timeZone: "Asia/Bangkok", hour: "2-digit", minute: "2-digit" };
  if (withDate) Object.assign(options, { weekday: "short", day: "numeric", month: "short" });
  const locale = currentLang() === "th" ? "th-TH" : "en-GB";
  return new Intl.DateTimeFormat(locale, options).format(new Date(at * 1000));
}

function heading(key, otherKey) {
  return el(
    "h3",
    { class: "events-heading" },
    t(key),
    " ",
    el("span", { class: "other-lang", text: `· ${t(otherKey)}` }),
  );
}

/** The live line of a card: time left, or time until it starts. */
function liveText(ev, now) {
  return ev.starts <= now
    ? `${t("eventEndsIn")} ${countdown(ev.ends - now)}`
    : `${t("eventStartsIn")} ${countdown(ev.starts - now)}`;
}

function card(state, ev, now, onGo) {
  const place = pick(state.landmarkIndex.get(ev.landmark)?.name) || ev.landmark;
  const attending = state.attending.has(ev.id);
  return el(
    "article",
    { class: "event-card", "data-event": ev.id, "aria-labelledby": `ev-${ev.id}` },
    el(
      "h4",
      { id: `ev-${ev.id}` },
      pick(ev.title),
      " ",
      el("span", { class: "other-lang", text: pickOther(ev.title) }),
    ),
    el("p", { class: "event-host", text: `${t("eventBy")} ${pick(ev.host)}` }),
    el(
      "p",
      { class: "event-when" },
      `${bangkokTime(ev.starts)} – ${bangkokTime(ev.ends, false)} · ${place}`,
    ),
    el("p", { class: "event-countdown", "data-event-live": ev.id, text: liveText(ev, now) }),
    el("p", { class: "event-desc", text: pick(ev.description) }),
    el(
      "p",
      { class: "event-meta" },
      attending
        ? `✓ ${t("eventAttending")}`
        : `+${ev.bonus} ${t("tokens")} ${t("eventBonus")} · ${t("eventSeats", { n: ev.capacity })}`,
    ),
    el(
      "div",
      { class: "row event-actions" },
      el("button", {
        type: "button",
        class: "primary",
        "data-key": `event-go:${ev.id}`,
        text: `🚶 ${t("takeMeThere")}`,
        onclick: () => onGo(ev),
      }),
      el("a", {
        class: "button secondary",
        href: `/events/${encodeURIComponent(ev.id)}.ics`,
        download: `${ev.id}.ics`,
        "data-key": `event-ics:${ev.id}`,
        text: `📅 ${t("eventAddCal")}`,
      }),
    ),
  );
}

/**
 * The board of events, into `container`; `onGo(event)` takes the visitor there. With
 * `summary` (the HUD's collapsed line), it is told a one-line summary to show, or "" for none.
 */
export class EventBoard {
  constructor(state, container, onGo, { summary = null } = {}) {
    this.state = state;
    this.container = container;
    this.onGo = onGo;
    this.summary = summary;
    this.shape = "";
    this.summaryKey = null;
    this.render();
    this.timer = setInterval(() => this.tick(), 1000);
    state.addEventListener("change", (e) => {
      const { what, msg } = e.detail;
      if (["events", "event_attended", "welcome", "scene"].includes(what)) this.render();
      if (what === "event_attended") {
        announce(`${t("eventAttended")} · +${msg.bonus} ${t("tokens")}`, { tone: "good" });
      }
    });
  }

  /** Which events are on and coming, and which quiz points are on: what the page shows. */
  shapeOf(now) {
    const on = eventsNow(this.state, now).map((e) => e.id);
    const soon = eventsSoon(this.state, now).map((e) => e.id);
    return `${on}|${soon}|${this.state.events.length}`;
  }

  render(now = nowS()) {
    const on = eventsNow(this.state, now);
    const soon = eventsSoon(this.state, now);
    this.shape = this.shapeOf(now);
    const all = el("a", {
      class: "events-all",
      href: "/events.ics",
      download: "srichan-events.ics",
      text: `📅 ${t("eventCalendar")}`,
    });
    rerender(
      this.container,
      on.length ? heading("eventsNow", "eventsNowOther") : null,
      ...on.map((ev) => card(this.state, ev, now, this.onGo)),
      soon.length ? heading("eventsSoon", "eventsSoonOther") : null,
      ...soon.map((ev) => card(this.state, ev, now, this.onGo)),
      on.length || soon.length ? null : el("p", { class: "events-none", text: t("eventsNone") }),
      all,
    );
    this.updateSummary(on, soon, now);
  }

  updateSummary(on, soon, now) {
    if (!this.summary) return;
    const ev = on[0] ?? soon[0];
    const key = ev ? `${ev.id}:${on.length > 0}:${Math.floor(now)}` : "";
    if (key === this.summaryKey) return; // nothing to write: leave the page alone
    this.summaryKey = key;
    this.summary(
      ev
        ? `${on.length ? t("eventsNow") : t("eventsSoon")} · ${liveText(ev, now)} · ${pick(ev.title)}`
        : "",
      on.length > 0,
    );
  }

  tick(now = nowS()) {
    if (this.shapeOf(now) !== this.shape) {
      this.render(now);
      this.state.changed("events_edge");
      return;
    }
    for (const node of this.container.querySelectorAll("[data-event-live]")) {
      const ev = this.state.events.find((e) => e.id === node.dataset.eventLive);
      if (ev) node.textContent = liveText(ev, now);
    }
    this.updateSummary(eventsNow(this.state, now), eventsSoon(this.state, now), now);
  }
}
