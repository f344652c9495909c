// Walk the visitor's avatar to a chosen place without a 3D view: find a path through the
// walkable area, then send `move` messages along it at walking pace, so the position the
// server knows really gets there (it checks speed and walkability like any other walk).

import { Anim, LIMITS, MsgType } from "../protocol.js";
import { findPath } from "./geometry.js";

export const LIST_WALK_SPEED = 6.0; // m/s, a brisk walk under the server's limit
const STEP_MS = 100;

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
    const path = findPath(this.walkable, [me.x, me.z], target);
    if (!path) return Promise.resolve("no-path");
    let total = 0;
    let prev = [me.x, me.z];
    for (const p of path) {
      total += Math.hypot(p[0] - prev[0], p[1] - prev[1]);
      prev = p;
    }
    return new Promise((resolve) => {
      this.job = { path, total, resolve, last: performance.now() };
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
    let budget = this.speed * Math.min(0.15, (now - job.last) / 1000);
    job.last = now;
    const me = this.state.me;
    let { x, z } = me;
    let heading = me.heading;
    while (budget > 1e-6 && job.path.length) {
      const [tx, tz] = job.path[0];
      const d = Math.hypot(tx - x, tz - z);
      if (d > 1e-6) heading = (Math.atan2(-(tz - z), tx - x) * 180) / Math.PI;
      if (d <= budget) {
        x = tx;
        z = tz;
        budget -= d;
        job.path.shift();
      } else {
        x += ((tx - x) / d) * budget;
        z += ((tz - z) / d) * budget;
        budget = 0;
      }
    }
    this.conn.send(MsgType.MOVE, { x, z, heading, anim: Anim.WALK });
    this.state.moveMe(x, z, heading, Anim.WALK);
    let remaining = 0;
    let prev = [x, z];
    for (const p of job.path) {
      remaining += Math.hypot(p[0] - prev[0], p[1] - prev[1]);
      prev = p;
    }
    this.dispatchEvent(new CustomEvent("progress", { detail: { remaining, total: job.total } }));
    if (!job.path.length) this.stop("arrived");
  }
}
