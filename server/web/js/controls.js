// Input: keyboard (W A S D or arrows to walk, Shift to run, Q/E to turn for keyboard-only
// visitors), drag-look with mouse or finger, a tap (a short press that hardly moves) to walk
// to what was tapped, and an on-screen joystick on touch screens. `read()` gives the intent of
// this frame; the app turns it into movement.

const WALK_KEYS = {
  KeyW: [1, 0],
  ArrowUp: [1, 0],
  KeyS: [-1, 0],
  ArrowDown: [-1, 0],
  KeyA: [0, -1],
  ArrowLeft: [0, -1],
  KeyD: [0, 1],
  ArrowRight: [0, 1],
};
const TURN_KEYS = { KeyQ: 1, KeyE: -1 };
const TURN_SPEED = 90; // degrees per second with Q/E
const DRAG_YAW = 0.25; // degrees per pixel
const DRAG_PITCH = 0.005; // radians per pixel
const TAP_MAX_PX = 10; // a press that moves less than this ...
const TAP_MAX_MS = 500; // ... and ends within this is a tap, not a drag

function typing() {
  const a = document.activeElement;
  return a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA" || a.isContentEditable);
}

export class Controls {
  /** `surface` takes drag-look; `joystick` is the joystick's base element (or null). */
  constructor(surface, joystick, { onTap = null } = {}) {
    this.keys = new Set();
    this.yawDelta = 0;
    this.pitchDelta = 0;
    this.stick = { x: 0, y: 0 };
    this.enabled = true;
    this.drag = null;
    this.onTap = onTap;
    this.onKeyDown = (e) => {
      if (!this.enabled || typing() || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.code in WALK_KEYS || e.code in TURN_KEYS || e.key === "Shift") {
        this.keys.add(e.code);
        if (e.code.startsWith("Arrow")) e.preventDefault();
      }
    };
    this.onKeyUp = (e) => this.keys.delete(e.code);
    this.onBlur = () => this.keys.clear();
    window.addEventListener("keydown", this.onKeyDown);
    window.addEventListener("keyup", this.onKeyUp);
    window.addEventListener("blur", this.onBlur);
    this.dragLook(surface);
    if (joystick) this.joystick(joystick);
  }

  dragLook(surface) {
    surface.addEventListener("pointerdown", (e) => {
      if (this.drag) return;
      this.drag = { id: e.pointerId, x: e.clientX, y: e.clientY, moved: 0, t: performance.now() };
      surface.setPointerCapture(e.pointerId);
    });
    surface.addEventListener("pointermove", (e) => {
      if (!this.drag || e.pointerId !== this.drag.id) return;
      const dx = e.clientX - this.drag.x;
      const dy = e.clientY - this.drag.y;
      this.drag.moved += Math.hypot(dx, dy);
      this.yawDelta -= dx * DRAG_YAW;
      this.pitchDelta += dy * DRAG_PITCH;
      this.drag.x = e.clientX;
      this.drag.y = e.clientY;
    });
    const end = (e) => {
      const d = this.drag;
      if (!d || e.pointerId !== d.id) return;
      this.drag = null;
      const tap = d.moved < TAP_MAX_PX && performance.now() - d.t < TAP_MAX_MS;
      if (tap && e.type === "pointerup" && this.enabled && this.onTap) {
        this.onTap(e.clientX, e.clientY);
      }
    };
    surface.addEventListener("pointerup", end);
    surface.addEventListener("pointercancel", end);
  }

  /** True while a finger or the mouse is dragging the view. */
  get dragging() {
    return this.drag !== null && this.drag.moved >= TAP_MAX_PX;
  }

  joystick(base) {
    const knob = base.querySelector(".knob");
    let active = null;
    const move = (e) => {
      const r = base.getBoundingClientRect();
      const radius = r.width / 2;
      let dx = (e.clientX - (r.left + radius)) / radius;
      let dy = (e.clientY - (r.top + radius)) / radius;
      const len = Math.hypot(dx, dy);
      if (len > 1) {
        dx /= len;
        dy /= len;
      }
      this.stick = { x: dx, y: -dy };
      knob.style.transform = `translate(${dx * radius * 0.6}px, ${dy * radius * 0.6}px)`;
    };
    base.addEventListener("pointerdown", (e) => {
      active = e.pointerId;
      base.setPointerCapture(e.pointerId);
      move(e);
      e.preventDefault();
    });
    base.addEventListener("pointermove", (e) => {
      if (e.pointerId === active) move(e);
    });
    const release = (e) => {
      if (e.pointerId !== active) return;
      active = null;
      this.stick = { x: 0, y: 0 };
      knob.style.transform = "";
    };
    base.addEventListener("pointerup", release);
    base.addEventListener("pointercancel", release);
  }

  /** This frame's intent: forward/strafe in −1..1, run, and the look change since last read. */
  read(dt) {
    let forward = this.stick.y;
    let strafe = this.stick.x;
    let turn = 0;
    if (this.enabled) {
      for (const code of this.keys) {
        const w = WALK_KEYS[code];
        if (w) {
          forward += w[0];
          strafe += w[1];
        }
        turn += TURN_KEYS[code] || 0;
      }
    }
    const len = Math.hypot(forward, strafe);
    const stickRun = Math.hypot(this.stick.x, this.stick.y) > 0.9;
    if (len > 1) {
      forward /= len;
      strafe /= len;
    }
    const out = {
      forward,
      strafe,
      run: this.keys.has("ShiftLeft") || this.keys.has("ShiftRight") || stickRun,
      yawDelta: this.yawDelta + turn * TURN_SPEED * dt,
      pitchDelta: this.pitchDelta,
    };
    this.yawDelta = 0;
    this.pitchDelta = 0;
    return out;
  }
}
