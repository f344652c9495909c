// The third-person camera: behind the avatar at a pitch the visitor drags, pulled in at once
// when a building stands between it and the avatar (never the inside of a wall) and eased back
// out; and, on arrival at a landmark, stepping back until the whole landmark (the 42 m Kaen
// tower too) and the avatar both fit the view, blended in and out.

import * as THREE from "three";

const FOLLOW_DISTANCE = 8;
const FOLLOW_LOOK_Y = 1.8;
const HALF_FOV_FIT = 21; // degrees above and below the middle a framed view may use (HUD margins)

export class FollowCamera {
  constructor(camera, walkable) {
    this.camera = camera;
    this.walkable = walkable;
    this.distance = FOLLOW_DISTANCE;
    this.focus = null; // the landmark framed, or null
    this.focusBlend = 0;
    this.framed = null;
  }

  /** Frame `lm` (a manifest landmark) from behind the avatar until the visitor moves; null
   * goes back to the plain follow camera. */
  focusOn(lm) {
    this.focus = lm;
  }

  /**
   * Place the camera behind the avatar at (x, z), looking along `yaw` (degrees, the heading
   * convention) tilted down by `pitch` radians; pull it in when a building is in the way.
   * While a landmark is in focus the camera steps back until the whole of it fits the view.
   */
  follow(x, z, yaw, pitch, dt) {
    const a = (yaw * Math.PI) / 180;
    const fx = Math.cos(a);
    const fz = -Math.sin(a);
    const want = FOLLOW_DISTANCE;
    const horiz = Math.cos(pitch) * want;
    const camY = FOLLOW_LOOK_Y + Math.sin(pitch) * want;
    const far = [x - fx * horiz, z - fz * horiz];
    const clear = this.walkable.clearFraction([x, z], far, camY - 0.5);
    const allowed = clear >= 1 ? want : Math.max(0.6, want * clear - 0.4);
    // Pull in at once (never show the inside of a wall), ease back out.
    this.distance =
      allowed < this.distance
        ? allowed
        : this.distance + (allowed - this.distance) * Math.min(1, dt * 3);
    const d = this.distance;
    const pos = new THREE.Vector3(
      x - fx * Math.cos(pitch) * d,
      Math.max(0.4, FOLLOW_LOOK_Y + Math.sin(pitch) * d),
      z - fz * Math.cos(pitch) * d,
    );
    const look = new THREE.Vector3(x, FOLLOW_LOOK_Y, z);
    this.focusBlend = Math.max(
      0,
      Math.min(1, this.focusBlend + (this.focus ? 1 : -1) * Math.min(1, dt * 2)),
    );
    if (this.focusBlend > 0 && (this.focus || this.framed)) {
      if (this.focus) this.framed = this.frame(x, z, this.focus);
      const f = this.framed;
      const k = this.focusBlend * this.focusBlend * (3 - 2 * this.focusBlend); // smoothstep
      pos.lerp(f.pos, k);
      look.lerp(f.look, k);
    } else {
      this.framed = null;
    }
    this.camera.position.copy(pos);
    this.camera.lookAt(look);
  }

  /**
   * Camera position and look-at point that show `lm` whole (base to top) and the avatar at
   * (x, z) in front of it: the camera steps back behind the avatar until both fit the view.
   */
  frame(x, z, lm) {
    const [lx, lz] = lm.position;
    let dx = lx - x;
    let dz = lz - z;
    const d0 = Math.hypot(dx, dz) || 1;
    dx /= d0;
    dz /= d0;
    const top = lm.height + 1;
    const camY = 3.2;
    const span = (back) => {
      const up = Math.atan2(top - camY, d0 + back);
      const down = Math.max(Math.atan2(camY, d0 + back), Math.atan2(camY, back)); // feet
      return { up, down };
    };
    let back = 8;
    for (; back < 45; back += 1) {
      const { up, down } = span(back);
      if (((up + down) * 180) / Math.PI <= 2 * HALF_FOV_FIT) break;
    }
    // Not into a wall: as far back as the street allows.
    const wanted = [x - dx * back, z - dz * back];
    const clear = this.walkable.clearFraction([x, z], wanted, camY - 0.5);
    if (clear < 1) back = Math.max(3, back * clear - 0.5);
    const { up, down } = span(back);
    const mid = (up - down) / 2;
    const dist = d0 + back;
    return {
      pos: new THREE.Vector3(x - dx * back, camY, z - dz * back),
      look: new THREE.Vector3(lx, camY + Math.tan(mid) * dist, lz),
    };
  }
}
