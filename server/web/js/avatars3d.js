// Avatars in the 3D street: bodies built from a look (merged into one vertex-coloured mesh per
// look, one draw call each), a name label and a chat bubble, and a little animation (bob while
// walking, a hop or a spin for emotes).

import * as THREE from "three";
import { mergeGeometries } from "three/addons/utils/BufferGeometryUtils.js";
import { CSS2DObject } from "three/addons/renderers/CSS2DRenderer.js";
import { el } from "./dom.js";
import { HATS, PALETTE_BODY, PALETTE_SHIRT } from "./identity.js";

/**
 * Avatar bodies: the parts of one look merged into one vertex-coloured geometry (one draw
 * call per avatar, cached per look), all sharing one material.
 */
export class AvatarKit {
  constructor(low) {
    this.material = low
      ? new THREE.MeshLambertMaterial({ vertexColors: true })
      : new THREE.MeshStandardMaterial({ vertexColors: true, roughness: 0.8, metalness: 0 });
    this.legs = new THREE.CylinderGeometry(0.2, 0.22, 0.8, 10).translate(0, 0.4, 0);
    this.body = new THREE.CapsuleGeometry(0.27, 0.5, 4, 12).translate(0, 1.15, 0);
    this.head = new THREE.SphereGeometry(0.21, 16, 12).translate(0, 1.72, 0);
    this.nose = new THREE.SphereGeometry(0.05, 8, 6).translate(0.2, 1.72, 0);
    this.hats = [
      null,
      new THREE.CylinderGeometry(0.23, 0.23, 0.12, 14).translate(0, 1.9, 0),
      new THREE.ConeGeometry(0.42, 0.22, 18).translate(0, 1.95, 0),
      new THREE.SphereGeometry(0.11, 10, 8).translate(-0.12, 1.93, 0),
    ];
    this.geometries = new Map();
  }

  geometry(look) {
    const key = look.join(",");
    if (this.geometries.has(key)) return this.geometries.get(key);
    const [skinI, shirtI, hatI] = look;
    const skin = PALETTE_BODY[skinI % PALETTE_BODY.length];
    const shirt = PALETTE_SHIRT[shirtI % PALETTE_SHIRT.length];
    const parts = [
      [this.legs, "#34495e"],
      [this.body, shirt],
      [this.head, skin],
      [this.nose, skin],
    ];
    const hat = this.hats[hatI % HATS];
    if (hat) parts.push([hat, hatI === 2 ? "#d8b56a" : hatI === 3 ? "#2b2b2b" : shirt]);
    const coloured = parts.map(([geometry, hex]) => {
      const g = geometry.clone();
      const c = new THREE.Color(hex);
      const n = g.attributes.position.count;
      const colours = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) colours.set([c.r, c.g, c.b], i * 3);
      g.setAttribute("color", new THREE.BufferAttribute(colours, 3));
      return g;
    });
    const merged = mergeGeometries(coloured);
    for (const g of coloured) g.dispose();
    this.geometries.set(key, merged);
    return merged;
  }

  build(look, shadows) {
    const mesh = new THREE.Mesh(this.geometry(look), this.material);
    mesh.castShadow = shadows;
    return mesh;
  }
}

/** One avatar in the scene: mesh, name label, bubble, and a little animation state. */
export class AvatarView {
  constructor(kit, { name, look, mine, shadows }) {
    this.root = new THREE.Group();
    this.body = kit.build(look, shadows);
    this.root.add(this.body);
    this.labelEl = el("div", {
      class: mine ? "name-label mine" : "name-label",
      text: name,
      hidden: !name,
    });
    this.label = new CSS2DObject(this.labelEl);
    this.label.position.set(0, 2.25, 0);
    this.root.add(this.label);
    this.bubbleEl = el("div", { class: "bubble", hidden: true });
    this.bubble = new CSS2DObject(this.bubbleEl);
    // Anchored where the name is, its bottom edge there and lifted clear of the name in
    // screen space (street.css): a bubble half a metre higher in the world sat on the name
    // a few metres off, where half a metre is a few pixels.
    this.bubble.position.copy(this.label.position);
    this.bubble.center.set(0.5, 1);
    this.root.add(this.bubble);
    this.bubbleUntil = 0;
    this.phase = Math.random() * 10;
    this.emote = null; // {kind, until}
  }

  setName(name) {
    this.labelEl.textContent = name;
    this.labelEl.hidden = !name;
  }

  say(text, nowS, seconds = 6) {
    this.bubbleEl.textContent = text;
    this.bubbleEl.hidden = false;
    this.bubbleUntil = nowS + seconds;
  }

  pose(x, z, headingDeg, anim, dt, nowS) {
    this.root.position.set(x, 0, z);
    this.root.rotation.y = (headingDeg * Math.PI) / 180;
    const moving = anim === 1 || anim === 2;
    this.phase += dt * (anim === 2 ? 14 : 9);
    let bob = moving ? Math.abs(Math.sin(this.phase)) * 0.08 : 0;
    let spin = 0;
    if (this.emote && nowS < this.emote.until) {
      const k = this.emote.kind;
      if (k === 6)
        spin = (this.emote.until - nowS) * 6; // dance: turn around
      else bob = Math.abs(Math.sin(nowS * 10)) * 0.18; // others: a happy hop
    }
    this.body.position.y = bob;
    this.body.rotation.y = spin;
    this.body.rotation.z = moving ? Math.sin(this.phase) * 0.05 : 0;
    if (!this.bubbleEl.hidden && nowS > this.bubbleUntil) this.bubbleEl.hidden = true;
  }

  dispose() {
    this.root.removeFromParent();
    this.labelEl.remove();
    this.bubbleEl.remove();
  }
}

/** Name labels a crowd shows: its nearest few within ``range`` metres. Sixty-four names in
 * view stack into one unreadable band on a phone, and the names that matter are those of the
 * people beside you. Anyone speaking keeps their name over the bubble. A label hidden this way
 * is skipped by the label renderer (no position written for it each frame). */
export const LABELS_SHOWN = 8;

export function thinLabels(views, x, z, range, shown = LABELS_SHOWN) {
  const ranked = views
    .map((v) => [(v.root.position.x - x) ** 2 + (v.root.position.z - z) ** 2, v])
    .sort((p, q) => p[0] - q[0]);
  ranked.forEach(([d2, v], i) => {
    v.label.visible = d2 < range * range && (i < shown || !v.bubbleEl.hidden);
  });
}
