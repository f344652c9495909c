// What the visitor's client knows: its own avatar, the avatars in view (with a short history
// for smooth interpolation), wallet, quizzes, quests, booths and the leaderboard. Both the 3D
// mode and the list mode render from this one store; it changes only through `apply(msg)`
// (server messages) and the few local setters, and says what changed with a "change" event.

import { FEATURE_OF, Feature, LIMITS, MsgType } from "../protocol.js";
import { hidesChat } from "./safety.js";

const HISTORY = 12; // snapshots kept per avatar (~1.2 s at 10 Hz)
export const INTERP_DELAY_S = 0.1;

export const headingFromByte = (b) => (b / 256) * 360;
// How fast an avatar's extra delay follows a change of its update rate: 0.5 s per second, so
// its walk plays at 0.5× or 1.5× speed for a moment instead of jumping.
const LAG_EASE = 0.5;

/** A remote avatar: its name, look and recent (server time, x, z, heading, anim) samples. */
class Avatar {
  constructor(enter, time) {
    this.id = enter.id;
    this.name = enter.name;
    this.look = enter.look || [0, 0, 0];
    this.samples = [];
    // Distance tiers: the server updates a farther avatar only every `every` ticks (its turn:
    // (tick + id) % every == 0), so it is drawn that much further in the past and its
    // interpolation always has a sample ahead.
    this.every = 1;
    this.lagTarget = 0;
    this.lag = 0;
    this.lastT = null;
    this.push(time, enter.x / 100, enter.z / 100, headingFromByte(enter.heading), enter.anim);
  }

  get last() {
    return this.samples[this.samples.length - 1];
  }

  push(time, x, z, heading, anim) {
    const s = this.samples;
    if (s.length && time <= s[s.length - 1].time) s.pop();
    s.push({ time, x, z, heading, anim });
    if (s.length > HISTORY) s.shift();
  }

  /** `every` ticks between updates at `tickHz` ticks a second. */
  setEvery(every, tickHz) {
    this.every = Math.min(Math.max(1, every | 0), LIMITS.TIER_EVERY_MAX);
    this.lagTarget = (this.every - 1) / tickHz;
  }

  /** Is `tick` one of this avatar's turns (a tick whose frame carries its changes)? */
  turn(tick) {
    return (tick + this.id) % this.every === 0;
  }

  /** Position at server time `t` (less the avatar's own delay): interpolated between the
   * samples around it, held at ends. */
  at(t) {
    if (this.lag !== this.lagTarget) {
      const step = this.lastT === null ? Infinity : Math.max(0, t - this.lastT) * LAG_EASE;
      this.lag =
        this.lag < this.lagTarget
          ? Math.min(this.lagTarget, this.lag + step)
          : Math.max(this.lagTarget, this.lag - step);
    }
    this.lastT = t;
    t -= this.lag;
    const s = this.samples;
    if (t <= s[0].time) return s[0];
    for (let i = 1; i < s.length; i++) {
      if (t <= s[i].time) {
        const a = s[i - 1];
        const b = s[i];
        const k = (t - a.time) / (b.time - a.time);
        let dh = ((b.heading - a.heading + 540) % 360) - 180;
        if (Number.isNaN(dh)) dh = 0;
        return {
          time: t,
          x: a.x + (b.x - a.x) * k,
          z: a.z + (b.z - a.z) * k,
          heading: a.heading + dh * k,
          anim: k < 0.5 ? a.anim : b.anim,
        };
      }
    }
    return s[s.length - 1];
  }
}

export class WorldState extends EventTarget {
  constructor(manifest) {
    super();
    this.manifest = manifest;
    this.me = null; // {id, name, x, z, heading, anim}
    this.avatars = new Map();
    this.more = 0;
    this.corrections = 0; // moves the server refused: a normal walk should cause none
    this.tickHz = 10;
    this.clockOffset = null; // local seconds − server tick seconds, smallest seen (least delay)
    this.balance = null;
    this.pending = null; // a new identity's hold: {quizzesLeft, until (ms, local), quizzes, minutes}
    this.coupons = [];
    this.badges = []; // Open Badges the visitor earned, newest first (badges_get, badge_earned)
    this.courses = new Map(); // course id → {course, lessons, quests, completed} (courses_get)
    this.quizzes = new Map(); // quiz_id → {status, attempts_left, cooldown_until, reward, ...}
    this.quests = new Map(); // quest_id → {done, total, completed, bonus}
    this.booths = new Map(); // slot → {version, booth}
    this.leaderboard = null;
    this.connection = { state: "connecting" };
    this.learningSupported = null; // null unknown, false when the server answered unsupported
    this.boothsSupported = null;
    this.unsupportedTypes = new Set(); // request types this server answered unsupported
    this.lastCoupon = null; // the coupon issued last in this page, shown highlighted
    this.attending = new Set(); // event ids this visitor attends (from event_attended)
    this.setManifest(manifest);
  }

  /** The street's description: at start, and again after a live reload. */
  setManifest(manifest) {
    this.manifest = manifest;
    this.quizIndex = new Map(manifest.quiz_points.map((q) => [q.id, q]));
    this.landmarkIndex = new Map(manifest.landmarks.map((l) => [l.id, l]));
    // The scene's events; an `events` message (the operators' changes) follows when they differ.
    this.setEvents(manifest.events || []);
  }

  setEvents(events) {
    this.events = events;
    this.gated = new Set(events.flatMap((e) => e.quiz_points)); // quiz points of any event
  }

  /** Is quiz point `id` on at `now` (Unix s)? One of an event is on only in its window. */
  quizOn(id, now = Date.now() / 1000) {
    if (!this.gated.has(id)) return true; // most quiz points: no event, always on
    const mine = this.events.filter((e) => e.quiz_points.includes(id));
    return !mine.length || mine.some((e) => !e.cancelled && e.starts <= now && now < e.ends);
  }

  /** The server answered `unsupported` to a request of `type`: remember it (the caller need
   * not ask again), and note a whole missing part (learning, booths) for the panels. */
  markUnsupported(type) {
    this.unsupportedTypes.add(type);
    if (FEATURE_OF[type] === Feature.LEARNING) this.learningSupported = false;
    if (FEATURE_OF[type] === Feature.BOOTHS) this.boothsSupported = false;
    this.changed("support");
  }

  /** A new identity's tokens are pending (or, both left at 0, spendable now). The wallet is
   * drawn again every half minute while time is left, and once it is over. */
  tokensPending(msg, nowMs = Date.now()) {
    clearTimeout(this.pendingTimer);
    const waitMs = Math.max(0, msg.wait_s) * 1000;
    this.pending = {
      quizzesLeft: msg.quizzes_left,
      until: nowMs + waitMs,
      quizzes: msg.quizzes,
      minutes: msg.minutes,
    };
    const tick = () => {
      const left = this.pending ? this.pending.until - Date.now() : 0;
      if (left > 0) this.pendingTimer = setTimeout(tick, Math.min(left + 50, 30_000));
      this.changed("wallet");
    };
    if (waitMs > 0) this.pendingTimer = setTimeout(tick, Math.min(waitMs + 50, 30_000));
    return this.changed("wallet");
  }

  /** What is left before the tokens can be spent ({quizzes, minutes}), or null: spendable. */
  pendingLeft(nowMs = Date.now()) {
    const p = this.pending;
    if (!p) return null;
    const minutes = Math.max(0, Math.ceil((p.until - nowMs) / 60_000));
    return p.quizzesLeft > 0 || minutes > 0 ? { quizzes: p.quizzesLeft, minutes } : null;
  }

  changed(what, detail = {}) {
    this.dispatchEvent(new CustomEvent("change", { detail: { what, ...detail } }));
  }

  /** Server time now, minus the interpolation delay: where remote avatars are drawn. */
  renderTime(nowS = performance.now() / 1000) {
    if (this.clockOffset === null) return 0;
    return nowS - this.clockOffset - INTERP_DELAY_S;
  }

  setConnection(detail) {
    this.connection = detail;
    this.changed("connection");
  }

  /** The visitor's own avatar moved locally (prediction: the client owns its position). */
  moveMe(x, z, heading, anim) {
    if (!this.me) return;
    Object.assign(this.me, { x, z, heading, anim });
  }

  apply(msg) {
    // A server-approved jump (fast travel), once the protocol has it: see travel.js.
    if (MsgType.TRAVELLED !== undefined && msg.type === MsgType.TRAVELLED) {
      this.moveMe(msg.x, msg.z, msg.heading, 0);
      return this.changed("travelled", { msg });
    }
    switch (msg.type) {
      case MsgType.WELCOME:
        return this.welcome(msg);
      case MsgType.CORRECTION:
        this.corrections += 1;
        this.moveMe(msg.x, msg.z, msg.heading, msg.anim);
        return this.changed("correction", { msg });
      case MsgType.FRAME:
        return this.frame(msg);
      case MsgType.SCENE_CHANGED:
        // Live reload: the street was rebuilt. Progress, wallet and booths stay (by id).
        this.setManifest(msg.manifest);
        return this.changed("scene", { msg });
      case MsgType.CHAT_SAID:
        if (hidesChat(msg.name)) return undefined; // muted or blocked on this device
        return this.changed("chat", { msg });
      case MsgType.EMOTED:
        return this.changed("emote", { msg });
      case MsgType.QUIZ_QUESTION:
        this.learningSupported = true;
        this.quiz(msg.quiz_id, {
          attempts_left: msg.attempts_left,
          reward: msg.reward,
          ...(msg.already_awarded ? { status: "correct" } : {}),
        });
        return this.changed("quiz_question", { msg });
      case MsgType.QUIZ_RESULT:
        return this.quizResult(msg);
      case MsgType.QUEST_PROGRESS:
        this.learningSupported = true;
        this.quests.set(msg.quest_id, {
          done: msg.done,
          total: msg.total,
          completed: msg.completed,
          bonus: msg.bonus,
          steps: Array.isArray(msg.steps) ? msg.steps : null, // indices of the steps done
        });
        return this.changed("quests", { msg });
      case MsgType.WALLET:
        this.learningSupported = true;
        this.balance = msg.balance;
        this.coupons = msg.coupons;
        // a new identity's hold follows each of its wallets (tokens_pending); no hold: spendable
        this.pending = null;
        clearTimeout(this.pendingTimer);
        return this.changed("wallet");
      case MsgType.TOKENS_PENDING:
        return this.tokensPending(msg);
      case MsgType.LEADERBOARD:
        this.leaderboard = {
          entries: msg.entries,
          you: msg.you,
          allTime: msg.all_time || [],
          youAllTime: msg.you_all_time,
          week: msg.week,
        };
        return this.changed("leaderboard");
      case MsgType.NICKNAME:
        // The name as the server keeps it (after set_nickname, or the stored one on entering):
        // the one name shown everywhere.
        if (!msg.name) return undefined;
        if (this.me) this.me.name = msg.name;
        return this.changed("my_name", { name: msg.name, fromServer: true });
      case MsgType.BOOTH_STATE:
        return this.boothState(msg);
      case MsgType.BADGES:
        this.badges = msg.badges;
        return this.changed("wallet");
      case MsgType.BADGE_EARNED:
        this.badges = [
          msg.badge,
          ...this.badges.filter((b) => b.credential_id !== msg.badge.credential_id),
        ];
        this.changed("wallet");
        return this.changed("badge", { msg });
      case MsgType.COURSES:
        this.courses = new Map(msg.courses.map((c) => [c.course, c]));
        return this.changed("wallet");
      case MsgType.COURSE_PROGRESS: {
        const before = this.courses.get(msg.course.course);
        this.courses.set(msg.course.course, msg.course);
        this.changed("wallet");
        return this.changed("course", {
          msg,
          completedNow: msg.course.completed && !before?.completed,
        });
      }
      case MsgType.EVENTS:
        this.setEvents(msg.events);
        return this.changed("events");
      case MsgType.EVENT_ATTENDED:
        this.attending.add(msg.event_id);
        this.balance = msg.balance;
        this.changed("wallet");
        return this.changed("event_attended", { msg });
      case MsgType.DIALOGUE_THANKS: // the reward for taking part in the dialogue
        this.balance = msg.balance;
        return this.changed("wallet");
      case MsgType.COUPON_ISSUED:
        this.balance = msg.balance;
        this.coupons = [...this.coupons.filter((c) => c.coupon_id !== msg.coupon.coupon_id)];
        this.coupons.push(msg.coupon);
        this.lastCoupon = msg.coupon.coupon_id;
        this.changed("wallet");
        return this.changed("coupon", { msg });
      default:
        return undefined;
    }
  }

  welcome(msg) {
    // A resume keeps the avatar's place and view, also when another server process took it
    // (a dropped connection, or a move to the process serving this stretch): then it has a
    // new id, and frames name it by that one.
    const resumed = Boolean(msg.resumed && this.me);
    this.tickHz = msg.tick_hz || 10;
    if (resumed) {
      this.me.id = msg.avatar_id;
    } else {
      this.me = {
        id: msg.avatar_id,
        name: msg.name,
        x: msg.x,
        z: msg.z,
        heading: msg.heading,
        anim: msg.anim,
      };
    }
    this.changed("welcome", { resumed });
  }

  frame(msg) {
    const tickTime = msg.tick / this.tickHz;
    const local = performance.now() / 1000;
    const sample = local - tickTime;
    // Track the smallest delay seen, and let it creep up slowly in case the clocks drift.
    if (this.clockOffset === null || sample < this.clockOffset || msg.reset) {
      this.clockOffset = sample;
    } else {
      this.clockOffset += (sample - this.clockOffset) * 0.01;
    }
    const myId = this.me?.id;
    const entered = [];
    const left = [];
    if (msg.reset) {
      for (const id of this.avatars.keys()) left.push(id);
      this.avatars.clear();
    }
    const seen = new Set();
    for (const e of msg.enters) {
      if (e.id === myId) continue;
      this.avatars.set(e.id, new Avatar(e, tickTime));
      seen.add(e.id);
      entered.push(e.id);
    }
    const rates = msg.rates || [];
    for (let i = 0; i + 1 < rates.length; i += 2) {
      this.avatars.get(rates[i])?.setEvery(rates[i + 1], this.tickHz);
    }
    for (const u of msg.updates) {
      if (u.id === myId) continue;
      const a = this.avatars.get(u.id);
      if (!a) continue;
      const last = a.last;
      a.push(
        tickTime,
        u.x === null ? last.x : u.x / 100,
        u.z === null ? last.z : u.z / 100,
        u.heading === null ? last.heading : headingFromByte(u.heading),
        u.anim === null ? last.anim : u.anim,
      );
      seen.add(u.id);
    }
    // Avatars without an update on their turn stood still: record that, so interpolation
    // stops them instead of sliding on. Between turns there is nothing to record.
    for (const a of this.avatars.values()) {
      if (!seen.has(a.id) && a.turn(msg.tick)) {
        const last = a.last;
        a.push(tickTime, last.x, last.z, last.heading, last.anim);
      }
    }
    for (const id of msg.leaves) {
      if (this.avatars.delete(id)) left.push(id);
    }
    this.more = msg.more;
    this.changed("frame", { entered, left, reset: msg.reset });
  }

  quiz(id, fields) {
    const q = this.quizzes.get(id) || { status: "new" };
    if (q.status === "correct") delete fields.status; // once right, always right
    Object.assign(q, fields);
    this.quizzes.set(id, q);
    return q;
  }

  quizResult(msg) {
    this.learningSupported = true;
    const now = performance.now() / 1000;
    this.quiz(msg.quiz_id, {
      status:
        msg.correct || msg.already_awarded ? "correct" : msg.attempts_left > 0 ? "retry" : "used",
      attempts_left: msg.attempts_left,
      cooldown_until: msg.cooldown_s > 0 ? now + msg.cooldown_s : 0,
      earned: msg.reward,
    });
    this.balance = msg.balance;
    this.changed("quiz_result", { msg });
    this.changed("wallet");
  }

  boothState(msg) {
    this.boothsSupported = true;
    const known = this.booths.get(msg.slot);
    if (known && known.version > msg.version) return; // an older update arrived late
    this.booths.set(msg.slot, { version: msg.version, booth: msg.booth });
    this.changed("booth", { slot: msg.slot });
  }

  /** A quiz point the visitor cannot answer now (answered, or resting after every attempt). */
  quizFinished(id, nowS = performance.now() / 1000) {
    const q = this.quizzes.get(id);
    if (q?.status === "used") return (q.cooldown_until ?? 0) > nowS;
    return q?.status === "correct";
  }
}
