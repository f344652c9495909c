// Landmark labels over the 3D street, decluttered: nearest first, a label shows only within
// range, in front of the camera, not hidden behind another building, wholly on the stage, and
// not on a nearer label or under one of the interface's panels; so distant names never pile up
// over the gate and nothing is ever drawn over the interface.

import * as THREE from "three";
import { CSS2DObject } from "three/addons/renderers/CSS2DRenderer.js";
import { el } from "./dom.js";
import { pick } from "./i18n.js";

const LANDMARK_LABEL_RANGE = 160;
const HUD_PANELS = ".guide, .landmark-chip, .minimap-wrap, .hud-btn, .people, .chat, .joystick";
const LABEL_GAP_PX = 6;

export class LandmarkLabels {
  constructor(scene, manifest, walkable) {
    this.walkable = walkable;
    this.labels = [];
    for (const lm of manifest.landmarks) {
      const name = el("span", { class: "lm-name" });
      const node = el(
        "div",
        { class: lm.highlight ? "landmark-label highlight" : "landmark-label" },
        name,
      );
      const obj = new CSS2DObject(node);
      obj.position.set(lm.position[0], lm.height + 2.5, lm.position[1]);
      scene.add(obj);
      const own = new Set(lm.footprints.map((f) => JSON.stringify(f)));
      this.labels.push({ lm, obj, name, node, own, size: null });
    }
  }

  /** Re-pick every label's language (after a switch); sizes are measured again. */
  relabel() {
    for (const label of this.labels) {
      label.name.textContent = pick(label.lm.name);
      label.size = null;
    }
  }

  /**
   * Landmark labels, nearest first: hidden when out of range, behind the camera, behind a
   * building, or where a nearer label already is, so they never pile up.
   */
  declutter(me, camera, container) {
    const cam = camera.position;
    const w = container.clientWidth || window.innerWidth;
    const h = container.clientHeight || window.innerHeight;
    const v = new THREE.Vector3();
    const order = this.labels
      .map((label) => ({
        label,
        d: Math.hypot(label.lm.position[0] - cam.x, label.lm.position[1] - cam.z),
      }))
      .sort((a, b) => a.d - b.d);
    // The interface's panels count as taken: a label never sits half under one of them.
    const stage = container.getBoundingClientRect();
    const placed = [];
    for (const node of document.querySelectorAll(HUD_PANELS)) {
      const r = node.getBoundingClientRect();
      if (r.width && r.height)
        placed.push([
          r.left - stage.left,
          r.top - stage.top,
          r.right - stage.left,
          r.bottom - stage.top,
        ]);
    }
    for (const { label } of order) {
      const { lm, obj } = label;
      let show = Math.hypot(lm.position[0] - me[0], lm.position[1] - me[1]) < LANDMARK_LABEL_RANGE;
      if (show) {
        v.copy(obj.position).project(camera);
        show = v.z < 1 && Math.abs(v.x) < 1.1 && Math.abs(v.y) < 1.1;
      }
      if (show) {
        show = !this.walkable.sightBlocked(
          [cam.x, cam.z],
          cam.y,
          lm.position,
          obj.position.y,
          label.own,
        );
      }
      if (show) {
        if (!label.size) {
          // Measured once per text (it is laid out even while hidden by visibility only).
          label.node.style.display = "";
          label.size = [label.node.offsetWidth || 120, label.node.offsetHeight || 28];
        }
        const cx = ((v.x + 1) / 2) * w;
        const cy = ((1 - v.y) / 2) * h;
        const [lw, lh] = label.size;
        const rect = [cx - lw / 2, cy - lh / 2, cx + lw / 2, cy + lh / 2];
        const g = LABEL_GAP_PX;
        // Wholly on the stage (not cut by its top edge), and clear of nearer labels.
        show = rect[1] >= 0 && rect[0] >= -lw / 2 && rect[2] <= w + lw / 2;
        show &&= !placed.some(
          (r) =>
            rect[0] < r[2] + g && rect[2] > r[0] - g && rect[1] < r[3] + g && rect[3] > r[1] - g,
        );
        if (show) placed.push(rect);
      }
      obj.visible = show;
    }
  }
}
