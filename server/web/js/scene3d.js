// The 3D street: renderer, sky and lights, the compiled GLB with the ground and the road going
// on past both ends to the horizon, glowing quiz points, booths with their live signs, the
// destination of a walk and what a tap hits. Avatars (avatars3d.js), landmark labels
// (labels3d.js) and the camera (camera3d.js) have their own modules.

import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { MeshoptDecoder } from "three/addons/libs/meshopt_decoder.module.js";
import { CSS2DObject, CSS2DRenderer } from "three/addons/renderers/CSS2DRenderer.js";
import { AvatarKit, AvatarView, thinLabels } from "./avatars3d.js";
import { FollowCamera } from "./camera3d.js";
import { el } from "./dom.js";
import { distanceToPolygon } from "./geometry.js";
import { pick } from "./i18n.js";
import { useLevelsOfDetail } from "./lod3d.js";
import { LandmarkLabels } from "./labels3d.js";

const SKY = 0xa9d6f5;
const FOG = 0xd4e9f7;
const QUIZ_COLOURS = { new: 0xffc93c, retry: 0xff9f1c, correct: 0x4caf50, used: 0x9e9e9e };
const LABEL_RANGE = 70; // metres within which avatar names show
const DECLUTTER_MS = 120;
const EXTEND_M = 700; // the road and ground go on this far past each end of the street

// The street GLB is meshopt-compressed (EXT_meshopt_compression) with GPU-instanced trees
// and lamps (EXT_mesh_gpu_instancing, which GLTFLoader reads on its own).
function glbParse(buffer) {
  const loader = new GLTFLoader().setMeshoptDecoder(MeshoptDecoder);
  return new Promise((resolve, reject) => loader.parse(buffer, "", resolve, reject));
}

export class Street3D {
  /**
   * `container` receives the WebGL canvas and the label layer; `quality` is "high" or "low".
   */
  constructor(container, manifest, walkable, { quality = "high" } = {}) {
    this.container = container;
    this.manifest = manifest;
    this.walkable = walkable;
    this.quality = quality;
    const low = quality === "low";
    this.renderer = new THREE.WebGLRenderer({
      antialias: !low,
      powerPreference: low ? "low-power" : "high-performance",
      preserveDrawingBuffer: false,
    });
    this.renderer.setPixelRatio(low ? 1 : Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.shadowMap.enabled = !low;
    this.renderer.shadowMap.type = THREE.PCFShadowMap;
    this.renderer.domElement.setAttribute("aria-hidden", "true");
    this.renderer.domElement.id = "street-canvas";
    container.append(this.renderer.domElement);
    this.labels = new CSS2DRenderer();
    this.labels.domElement.className = "label-layer";
    // Names and signs repeat what the HUD and the list mode say in text.
    this.labels.domElement.setAttribute("aria-hidden", "true");
    container.append(this.labels.domElement);

    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(SKY);
    this.scene.fog = new THREE.Fog(FOG, low ? 60 : 90, low ? 220 : 340);
    this.camera = new THREE.PerspectiveCamera(60, 1, 0.1, 700);
    this.view = new FollowCamera(this.camera, walkable);
    this.lights();
    this.kit = new AvatarKit(low);
    this.avatars = new Map();
    this.me = null;
    this.quizMarkers = new Map();
    this.boothViews = new Map();
    this.landmarkLabels = null;
    this.time = 0;
    this.raycaster = new THREE.Raycaster();
    this.lastDeclutter = 0;
    this.destination = this.destinationMarker();
    this.resize();
  }

  lights() {
    const low = this.quality === "low";
    // Hemisphere + sun: the GLB is metallic 0, so no environment map is needed.
    this.scene.add(new THREE.HemisphereLight(0xeaf6ff, 0x8c7a5b, low ? 2.3 : 1.9));
    const sun = new THREE.DirectionalLight(0xfff1d6, low ? 2.2 : 2.6);
    sun.position.set(-60, 110, 45);
    if (!low) {
      sun.castShadow = true;
      sun.shadow.mapSize.set(2048, 2048);
      const c = sun.shadow.camera;
      c.left = -60;
      c.right = 60;
      c.top = 60;
      c.bottom = -60;
      c.near = 10;
      c.far = 300;
      sun.shadow.bias = -0.0005;
      sun.shadow.normalBias = 0.04;
      // A soft fill from the other side so the shaded faces are not flat black.
      const fill = new THREE.DirectionalLight(0xcfe3ff, 0.6);
      fill.position.set(80, 40, -60);
      this.scene.add(fill);
      this.fill = fill;
    }
    this.sun = sun;
    this.scene.add(sun);
    this.scene.add(sun.target);
  }

  /** Parse the compiled GLB and put the street in the scene. */
  async loadStreet(buffer) {
    return this.placeStreet(await glbParse(buffer));
  }

  /**
   * Live reload: the rebuilt street in place of the old one, parsed before anything is taken
   * away (the old street stays on screen meanwhile). Avatars, camera and open booths stay.
   */
  async swapStreet(buffer, manifest, walkable) {
    const gltf = await glbParse(buffer);
    const old = this.street;
    old.removeFromParent();
    this.extension?.removeFromParent();
    for (const label of this.landmarkLabels?.labels ?? []) label.obj.removeFromParent();
    for (const marker of this.quizMarkers.values()) marker.group.removeFromParent();
    this.quizMarkers.clear();
    const booths = [...this.boothViews].map(([slot, view]) => [slot, view.booth]);
    for (const view of this.boothViews.values()) {
      view.group.removeFromParent();
      view.signEl.remove();
    }
    this.boothViews.clear();
    this.manifest = manifest;
    this.walkable = walkable;
    this.view.walkable = walkable;
    this.placeStreet(gltf);
    for (const [slot, booth] of booths) this.setBooth(slot, booth);
    old.traverse((node) => {
      node.geometry?.dispose();
      for (const m of [node.material ?? []].flat()) m.dispose();
    });
    return gltf;
  }

  placeStreet(gltf) {
    const shadows = this.quality !== "low";
    this.markers = [];
    gltf.scene.traverse((node) => {
      if (node.isMesh) {
        node.castShadow = shadows;
        node.receiveShadow = shadows;
      }
      const tag = node.userData?.srichan;
      if (tag) this.markers.push({ ...tag, object: node });
    });
    useLevelsOfDetail(gltf.scene);
    this.street = gltf.scene;
    this.scene.add(gltf.scene);
    this.extendWorld();
    if (this.quality === "low") this.cheapMaterials();
    this.addLandmarkLabels();
    this.addQuizMarkers();
    return gltf;
  }

  /**
   * Ground to the horizon, and the road going on past both ends of the street, so that no
   * view ends in empty sky. Colours come from the street's own materials.
   */
  extendWorld() {
    const mats = new Map();
    this.street.traverse((n) => {
      if (n.isMesh && n.material?.name) mats.set(n.material.name, n.material);
    });
    // The street's own surfaces, found by looking straight down at the start of the road.
    const st = this.manifest.street;
    const half = (st.lanes * st.lane_width) / 2;
    const pave = half + st.sidewalk_width;
    const [sx, sz] = st.centreline[0];
    const surface = (offset, fallback) => {
      const ray = new THREE.Raycaster(
        new THREE.Vector3(sx + 0.5, 20, sz + offset),
        new THREE.Vector3(0, -1, 0),
      );
      return ray.intersectObject(this.street, true)[0]?.object.material ?? fallback;
    };
    const ground = surface(pave + 3, mats.get("ground") ?? new THREE.MeshStandardMaterial());
    const paving = surface(half + 1.5, mats.get("paving") ?? new THREE.MeshStandardMaterial());
    const asphalt = surface(
      1.0,
      new THREE.MeshStandardMaterial({ color: 0x5a5a5a, roughness: 0.9 }),
    );
    const group = new THREE.Group();
    group.name = "world-extension";
    const plane = new THREE.Mesh(new THREE.PlaneGeometry(6000, 6000).rotateX(-Math.PI / 2), ground);
    plane.position.y = -0.14;
    group.add(plane);
    const line = st.centreline;
    const ends = [
      [line[0], line[1]],
      [line[line.length - 1], line[line.length - 2]],
    ];
    for (const [end, before] of ends) {
      const dx = end[0] - before[0];
      const dz = end[1] - before[1];
      const len = Math.hypot(dx, dz) || 1;
      const angle = Math.atan2(-dz / len, dx / len);
      const strip = (width, y, material) => {
        const m = new THREE.Mesh(
          new THREE.PlaneGeometry(EXTEND_M, width).rotateX(-Math.PI / 2),
          material,
        );
        m.rotation.y = angle;
        m.position.set(
          end[0] + (dx / len) * (EXTEND_M / 2),
          y,
          end[1] + (dz / len) * (EXTEND_M / 2),
        );
        m.receiveShadow = this.quality !== "low";
        return m;
      };
      group.add(strip(pave * 2, -0.02, paving), strip(half * 2, -0.01, asphalt));
    }
    this.scene.add(group);
    this.extension = group;
  }

  /** A ring on the ground where a walk is going. */
  destinationMarker() {
    const ring = new THREE.Mesh(
      new THREE.RingGeometry(0.55, 0.8, 40).rotateX(-Math.PI / 2),
      new THREE.MeshBasicMaterial({
        color: 0x1a73e8,
        transparent: true,
        opacity: 0.9,
        depthWrite: false,
      }),
    );
    ring.visible = false;
    ring.renderOrder = 2;
    this.scene.add(ring);
    return ring;
  }

  /** Show the walk's destination [x, z], or hide it (null). */
  setDestination(point) {
    this.destination.visible = !!point;
    if (point) this.destination.position.set(point[0], 0.1, point[1]);
  }

  /**
   * What is under the screen point (clientX, clientY): {point: [x, z], quizId, landmark}, where
   * quizId is a quiz circle's and landmark a building's that was tapped; null for the sky.
   */
  pick(clientX, clientY) {
    const rect = this.renderer.domElement.getBoundingClientRect();
    const ndc = new THREE.Vector2(
      ((clientX - rect.left) / rect.width) * 2 - 1,
      -((clientY - rect.top) / rect.height) * 2 + 1,
    );
    this.raycaster.setFromCamera(ndc, this.camera);
    const hit = this.raycaster.intersectObjects([this.street, this.extension], true)[0];
    if (!hit) return null;
    const p = hit.point;
    let point = [p.x, p.z];
    let landmark = null;
    if (p.y > 0.4) {
      // A wall or a roof: the building it belongs to, if it is a landmark.
      let best = 3;
      for (const lm of this.manifest.landmarks) {
        for (const f of lm.footprints) {
          const d = distanceToPolygon(point, f);
          if (d < best) {
            best = d;
            landmark = lm;
          }
        }
      }
      if (!landmark) {
        // Something small (a tree, a lamp): the ground where the ray would have met it.
        const ground = new THREE.Vector3();
        const plane = new THREE.Plane(new THREE.Vector3(0, 1, 0), 0);
        if (!this.raycaster.ray.intersectPlane(plane, ground)) return null;
        point = [ground.x, ground.z];
      }
    }
    let quizId = null;
    for (const q of this.manifest.quiz_points) {
      if (this.quizMarkers.get(q.id)?.group.visible === false) continue;
      if (Math.hypot(q.position[0] - point[0], q.position[1] - point[1]) < q.radius + 0.5) {
        quizId = q.id;
      }
    }
    return { point, quizId, landmark: quizId ? null : landmark };
  }

  addLandmarkLabels() {
    this.landmarkLabels = new LandmarkLabels(this.scene, this.manifest, this.walkable);
    this.relabel();
  }

  /** Re-pick every bilingual label after a language switch. */
  relabel() {
    this.landmarkLabels?.relabel();
    for (const [slot, view] of this.boothViews) this.fillBoothSign(view, slot);
  }

  addQuizMarkers() {
    const ringGeo = new THREE.RingGeometry(0.82, 1, 48).rotateX(-Math.PI / 2);
    const discGeo = new THREE.CircleGeometry(1, 48).rotateX(-Math.PI / 2);
    const beamGeo = new THREE.CylinderGeometry(0.32, 0.32, 5, 16, 1, true).translate(0, 2.5, 0);
    const gemGeo = new THREE.OctahedronGeometry(0.42).translate(0, 0, 0);
    for (const q of this.manifest.quiz_points) {
      const colour = new THREE.Color(QUIZ_COLOURS.new);
      const additive = { transparent: true, depthWrite: false, blending: THREE.AdditiveBlending };
      const ringMat = new THREE.MeshBasicMaterial({ color: colour, ...additive, opacity: 0.9 });
      const discMat = new THREE.MeshBasicMaterial({ color: colour, ...additive, opacity: 0.18 });
      const beamMat = new THREE.MeshBasicMaterial({ color: colour, ...additive, opacity: 0.28 });
      const gemMat = new THREE.MeshStandardMaterial({
        color: colour,
        emissive: colour,
        emissiveIntensity: 0.9,
        metalness: 0,
        roughness: 0.4,
      });
      const group = new THREE.Group();
      group.position.set(q.position[0], 0.06, q.position[1]);
      const ring = new THREE.Mesh(ringGeo, ringMat);
      ring.scale.setScalar(q.radius);
      const disc = new THREE.Mesh(discGeo, discMat);
      disc.scale.setScalar(q.radius);
      const beam = new THREE.Mesh(beamGeo, beamMat);
      const gem = new THREE.Mesh(gemGeo, gemMat);
      gem.position.y = 2.6;
      group.add(ring, gem);
      // The filled disc and the light beam are large transparent areas: costly to fill.
      if (this.quality !== "low") group.add(disc, beam);
      this.scene.add(group);
      this.quizMarkers.set(q.id, {
        group,
        ring,
        disc,
        beam,
        gem,
        mats: [ringMat, discMat, beamMat, gemMat],
        status: "new",
      });
    }
  }

  /** Show or hide a quiz point (an event's outside its window); a hidden one is not picked. */
  setQuizOn(id, on) {
    const m = this.quizMarkers.get(id);
    if (m) m.group.visible = on;
  }

  setQuizStatus(id, status) {
    const m = this.quizMarkers.get(id);
    if (!m || m.status === status) return;
    m.status = status;
    const colour = new THREE.Color(QUIZ_COLOURS[status] ?? QUIZ_COLOURS.new);
    for (const mat of m.mats) mat.color.copy(colour);
    m.mats[3].emissive.copy(colour);
    const finished = status === "correct" || status === "used";
    m.beam.visible = !finished;
  }

  // -- avatars ----------------------------------------------------------------------------

  addAvatar(id, { name, look, mine = false }) {
    const view = new AvatarView(this.kit, { name, look, mine, shadows: this.quality !== "low" });
    this.scene.add(view.root);
    if (mine) this.me = view;
    else this.avatars.set(id, view);
    return view;
  }

  removeAvatar(id) {
    const view = this.avatars.get(id);
    if (!view) return;
    view.dispose();
    this.avatars.delete(id);
  }

  avatar(id) {
    return this.avatars.get(id);
  }

  // -- booths -----------------------------------------------------------------------------

  /** Show, update or remove one booth; `booth` is its public config or null (empty slot). */
  setBooth(slot, booth) {
    const def = this.manifest.booth_slots.find((b) => b.id === slot);
    if (!def) return;
    let view = this.boothViews.get(slot);
    if (!booth) {
      if (view) {
        view.group.removeFromParent();
        view.signEl.remove();
        this.boothViews.delete(slot);
      }
      return;
    }
    if (!view) {
      view = this.buildBooth(def);
      this.boothViews.set(slot, view);
    }
    view.booth = booth;
    const colour = /^#[0-9a-f]{6}$/i.test(String(booth.awning)) ? booth.awning : "#c0392b";
    view.awning.material.color.set(colour);
    this.fillBoothSign(view, slot);
  }

  /** The compiled street already has an empty kiosk on every slot; an open booth gets a
   * canopy and a front valance in its awning colour, and its sign above. */
  buildBooth(def) {
    const group = new THREE.Group();
    group.position.set(def.position[0], 0, def.position[1]);
    group.rotation.y = (def.facing * Math.PI) / 180; // local +x is the side the counter faces
    const w = def.width;
    const d = def.depth;
    const cloth = new THREE.MeshLambertMaterial({ color: 0xc0392b });
    const canopy = new THREE.Mesh(new THREE.BoxGeometry(d + 0.3, 0.14, w + 0.3), cloth);
    canopy.position.set(0, 2.7, 0);
    const valance = new THREE.Mesh(new THREE.BoxGeometry(0.05, 0.4, w + 0.3), cloth);
    valance.position.set(d / 2 + 0.15, 2.45, 0);
    group.add(canopy, valance);
    const shadows = this.quality !== "low";
    canopy.castShadow = shadows;
    const signEl = el("div", { class: "booth-sign" });
    const sign = new CSS2DObject(signEl);
    sign.position.set(0, 3.4, 0);
    group.add(sign);
    this.scene.add(group);
    return { group, awning: canopy, signEl, booth: null };
  }

  fillBoothSign(view, slot) {
    const b = view.booth || {};
    const name = pick(b.name) || slot;
    const line = pick(b.description);
    view.signEl.replaceChildren(
      el("strong", { text: name }),
      ...(line ? [el("span", { text: line })] : []),
    );
  }

  // -- frame ------------------------------------------------------------------------------

  resize() {
    const w = this.container.clientWidth || window.innerWidth;
    const h = this.container.clientHeight || window.innerHeight;
    this.renderer.setSize(w, h, false);
    this.renderer.domElement.style.width = "100%";
    this.renderer.domElement.style.height = "100%";
    this.labels.setSize(w, h);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
  }

  /** Frame `lm` (a manifest landmark) on arrival, until the visitor moves; null: follow. */
  focusOn(lm) {
    this.view.focusOn(lm);
  }

  /** Place the camera (see FollowCamera.follow) and keep the sun's shadows around the avatar. */
  follow(x, z, yaw, pitch, dt) {
    this.view.follow(x, z, yaw, pitch, dt);
    if (this.sun.castShadow) {
      this.sun.position.set(x - 60, 110, z + 45);
      this.sun.target.position.set(x, 0, z);
    }
  }

  get cameraDistance() {
    return this.view.distance;
  }

  set cameraDistance(d) {
    this.view.distance = d;
  }

  /** Animate markers and labels, then draw. `me` is the visitor's position for label ranges. */
  render(dt, me) {
    this.time += dt;
    const t = this.time;
    for (const m of this.quizMarkers.values()) {
      const pulse = 0.5 + 0.5 * Math.sin(t * 2.4);
      const finished = m.status === "correct" || m.status === "used";
      m.mats[0].opacity = finished ? 0.35 : 0.55 + 0.45 * pulse;
      m.mats[1].opacity = finished ? 0.06 : 0.12 + 0.12 * pulse;
      m.mats[2].opacity = 0.14 + 0.2 * pulse;
      m.gem.rotation.y = t * 1.5;
      m.gem.position.y = 2.6 + Math.sin(t * 1.7) * 0.15;
    }
    if (this.destination.visible) {
      const s = 1 + 0.15 * Math.sin(t * 4);
      this.destination.scale.set(s, 1, s);
    }
    if (me) {
      const nowMs = performance.now();
      if (nowMs - this.lastDeclutter > DECLUTTER_MS) {
        this.lastDeclutter = nowMs;
        this.landmarkLabels?.declutter(me, this.camera, this.container);
        thinLabels([...this.avatars.values()], me[0], me[1], LABEL_RANGE);
      }
    }
    this.renderer.render(this.scene, this.camera);
    this.labels.render(this.scene, this.camera);
  }

  /**
   * Lambert instead of PBR for the street: far cheaper per pixel on weak GPUs and software
   * rendering, and with metallic 0 flat-shaded low-poly surfaces it looks nearly the same.
   */
  cheapMaterials() {
    const cache = new Map();
    this.street.traverse((node) => {
      if (!node.isMesh || !node.material?.isMeshStandardMaterial) return;
      const m = node.material;
      if (!cache.has(m)) {
        cache.set(
          m,
          new THREE.MeshLambertMaterial({
            color: m.color,
            map: m.map,
            vertexColors: m.vertexColors,
            flatShading: m.flatShading,
            transparent: m.transparent,
            opacity: m.opacity,
            side: m.side,
            emissive: m.emissive,
          }),
        );
      }
      node.material = cache.get(m);
    });
  }

  /** Switch to low quality without a reload (the FPS probe found this device slow). */
  lowerQuality() {
    if (this.quality === "low") return;
    this.quality = "low";
    this.renderer.setPixelRatio(1);
    this.renderer.shadowMap.enabled = false;
    this.sun.castShadow = false;
    this.fill?.removeFromParent();
    this.scene.fog.near = 60;
    this.scene.fog.far = 220;
    this.cheapMaterials();
    this.scene.traverse((n) => {
      if (n.isMesh) {
        n.castShadow = false;
        n.receiveShadow = false;
        for (const m of [n.material].flat()) m.needsUpdate = true;
      }
    });
    this.resize();
  }

  dispose() {
    this.renderer.dispose();
  }
}
