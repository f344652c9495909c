// Walk the visitor's avatar to a chosen place by itself: find a path through the walkable
// area, then advance along it at a pace the server accepts, so the position the server knows
// really gets there (it checks speed and walkability like any other walk). `Route` is the
// path and the stepping; the list mode drives it with `Walker` (a timer sending moves), the 3D
// mode from its frame loop.

import { Anim, LIMITS, MsgType } from "../protocol.js";
import { findPath } from "./geometry.js";

/** The automatic walk's pace: just under the server's speed limit (a brisk jog). */
export const AUTO_WALK_SPEED = LIMITS.MAX_SPEED * 0.9;
export const LIST_WALK_SPEED = AUTO_WALK_SPEED;
const STEP_MS = 100;

/** A path being walked: `at` is where the avatar is, `path` the points still ahead. */
export class Route {
  constructor(from, path) {
    this.at = [from[0], from[1]];
    this.path = path.map((p) => [p[0], p[1]]);
    this.total = this.remaining;
  }

  /** The way from `from` to `to` on the walkable area, or null when there is none. */
  static plan(walkable, from, to) {
    const path = findPath(walkable, from, to);
    return path ? new Route(from, path) : null;
  }

  get done() {
    return this.path.length === 0;
  }

  get end() {
    return this.path.length ? this.path[this.path.length - 1] : this.at;
  }

  /** Metres still to walk. */
  get remaining() {
    let total = 0;
    let prev = this.at;
    for (const p of this.path) {
      total += Math.hypot(p[0] - prev[0], p[1] - prev[1]);
      prev = p;
    }
    return total;
  }

  /** Walk `budget` metres on; returns the new {x, z, heading} (heading along the way). */
  advance(budget, heading) {
    let [x, z] = this.at;
    while (budget > 1e-6 && this.path.length) {
      const [tx, tz] = this.path[0];
      const d = Math.hypot(tx - x, tz - z);
      if (d > 1e-6) heading = (Math.atan2(-(tz - z), tx - x) * 180) / Math.PI;
      if (d <= budget) {
        x = tx;
        z = tz;
        budget -= d;
        this.path.shift();
      } else {
        x += ((tx - x) / d) * budget;
        z += ((tz - z) / d) * budget;
        budget = 0;
      }
    }
    this.at = [x, z];
    return { x, z, heading };
  }
}

export class Walker extends EventTarget {
  constructor(conn, state, walkable, { speed = LIST_WALK_SPEED } = {}) {
    super();
    this.conn = conn;
    this.state = state;
    this.walkable = walkable;
    this.speed = Math.min(speed, LIMITS.MAX_SPEED * 0.9);
    this.timer = null;
    this.job = null;
    state.addEventListener("change", (e) => {
      // The server refused a step: stop and let the visitor try again from where it says.
      if (e.detail.what === "correction" && this.job) this.stop("corrected");
    });
  }

  get walking() {
    return this.job !== null;
  }

  /**
   * Walk to `target` [x, z]; resolves with "arrived", "stopped", "corrected", "offline" or
   * "no-path". Progress events carry {remaining, total} in metres.
   */
  walkTo(target) {
    this.stop("stopped");
    const me = this.state.me;
    if (!me || !this.conn.online) return Promise.resolve("offline");
    const route = Route.plan(this.walkable, [me.x, me.z], target);
    if (!route) return Promise.resolve("no-path");
    return new Promise((resolve) => {
      this.job = { route, resolve, last: performance.now() };
      this.timer = setInterval(() => this.step(), STEP_MS);
      this.step();
    });
  }

  stop(reason) {
    if (!this.job) return;
    clearInterval(this.timer);
    const { resolve } = this.job;
    this.job = null;
    const me = this.state.me;
    if (me && this.conn.online) {
      this.conn.send(MsgType.MOVE, { x: me.x, z: me.z, heading: me.heading, anim: Anim.IDLE });
      this.state.moveMe(me.x, me.z, me.heading, Anim.IDLE);
    }
    resolve(reason);
  }

  step() {
    const job = this.job;
    if (!job) return;
    if (!this.conn.online) {
      this.stop("offline");
      return;
    }
    const now = performance.now();
    // Never more than the time that really passed, so the server's speed check holds.
    const budget = this.speed * Math.min(0.15, (now - job.last) / 1000);
    job.last = now;
    const { route } = job;
    const { x, z, heading } = route.advance(budget, this.state.me.heading);
    const anim = this.speed > 5 ? Anim.RUN : Anim.WALK;
    this.conn.send(MsgType.MOVE, { x, z, heading, anim });
    this.state.moveMe(x, z, heading, anim);
    this.dispatchEvent(
      new CustomEvent("progress", {
        detail: { remaining: route.remaining, total: route.total, speed: this.speed },
      }),
    );
    if (route.done) this.stop("arrived");
  }
}
