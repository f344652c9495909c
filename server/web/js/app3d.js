// The 3D mode: download the street with real progress, then walk. The client owns its
// avatar's position (predicts it, collides with the walkable area) and tells the server with
// `move` at most 10 times a second; other avatars are drawn ~100 ms in the past, interpolated.
//
// Besides the joystick and the keys, the avatar walks by itself: "take me there" for the
// guide's next step, or a tap on the ground, a building or a glowing quiz circle. That walk
// (a Route at AUTO_WALK_SPEED, under the server's limit) is shown in the guide with the
// distance and time left and a Stop button; any joystick or key input stops it too.

import { Anim, MsgType } from "../protocol.js";
import { Controls } from "./controls.js";
import { announce } from "./dom.js";
import { downloadGlb, glbUrl } from "./download.js";
import { Road, Walkable } from "./geometry.js";
import { EMOTE_ICONS, EMOTE_KEYS } from "./emotes.js";
import { EventBoard } from "./events.js";
import { Guide, frontOf, showWelcome, walkLeftText } from "./guide.js";
import { Hud } from "./hud.js";
import { onLang, pick, t } from "./i18n.js";
import { keepOneName } from "./names.js";
import { onPrefs } from "./prefs.js";
import { fpsProbe, initialQuality, qualitySetting } from "./quality.js";
import { QuizDialog } from "./quiz.js";
import { Street3D } from "./scene3d.js";
import { TRAVEL_MIN_M, canTravel, travel } from "./travel.js";
import { AUTO_WALK_SPEED, Route } from "./walker.js";
import { isBlocked } from "./safety.js";

const WALK_SPEED = 4.0; // m/s
const RUN_SPEED = 6.5; // m/s, under the server's 8 m/s limit
const SEND_EVERY_MS = 100;
const PITCH_MIN = 0.05;
const PITCH_MAX = 1.25;
const GUIDE_EVERY_MS = 250;

/** Heading in degrees (0 = +x, 90 = −z) from `from` towards `to`. */
function headingTo(from, to) {
  return (Math.atan2(-(to[1] - from[1]), to[0] - from[0]) * 180) / Math.PI;
}

/** Turn angle `a` towards `b` (degrees) by the fraction `k`, the short way round. */
function turnTowards(a, b, k) {
  const d = ((b - a + 540) % 360) - 180;
  return (a + d * Math.min(1, k) + 360) % 360;
}

/** `glb` is the promise of the street's bytes (main.js starts the download early). */
export async function start3d({ manifest, state, conn, visitor, loading, glb }) {
  let walkable = new Walkable(manifest);
  let road = new Road(manifest.street.centreline);
  const guide = new Guide(state, walkable, road);
  const buffer = await glb;
  loading.building();
  const stage = document.getElementById("stage");
  stage.hidden = false;
  const quality = initialQuality();
  const street = new Street3D(stage, manifest, walkable, { quality });
  await street.loadStreet(buffer);
  document.body.dataset.quality = quality;

  const spawn = manifest.spawn_points[0];
  const local = {
    x: spawn.position[0],
    z: spawn.position[1],
    heading: spawn.heading,
    anim: Anim.IDLE,
  };
  let yaw = spawn.heading;
  let pitch = 0.36;
  street.addAvatar(0, { name: "", look: conn.hello().look, mine: true });

  // -- walking by itself ------------------------------------------------------------------------
  let auto = null; // {route, label, target}

  function walkTo(point, label, target = {}) {
    const route = Route.plan(walkable, [local.x, local.z], point);
    if (!route) {
      announce(t("noPath"), { tone: "warn" });
      return false;
    }
    auto = { route, label, target };
    street.setDestination(route.end);
    street.focusOn(null);
    announce(`${t("walkingTo")} ${label} · ${walkLeftText(route.remaining, AUTO_WALK_SPEED)}`, {
      toast: false,
    });
    return true;
  }

  function stopAuto() {
    if (!auto) return;
    auto = null;
    street.setDestination(null);
    local.anim = Anim.IDLE;
  }

  function arrive() {
    const { target, label } = auto;
    stopAuto();
    announce(`${t("arrived")} ${label}`, { tone: "good" });
    const lm = target.landmark;
    if (lm && Math.hypot(lm.position[0] - local.x, lm.position[1] - local.z) > 3) {
      yaw = headingTo([local.x, local.z], lm.position);
      local.heading = yaw;
      street.focusOn(lm);
    }
    if (target.quizId) {
      const q = state.quizIndex.get(target.quizId);
      const inside = q && Math.hypot(q.position[0] - local.x, q.position[1] - local.z) < q.radius;
      if (inside && !quiz.isOpen) openQuiz(q.id, null);
    }
  }

  /**
   * Go to a guide target: far away, a server-approved jump to its landmark first (when the
   * server offers one), then the walk that is left.
   */
  async function takeMeThere(target) {
    const far = Math.hypot(target.point[0] - local.x, target.point[1] - local.z) > TRAVEL_MIN_M;
    if (far && target.landmark && canTravel()) {
      stopAuto();
      await travel(conn, state, target.landmark.id); // moves `local` through "travelled"
    }
    walkTo(target.point, target.label, target);
  }

  /** Follow the guide: to the next step of the quest being followed. */
  function goNext() {
    const target = guide.next([local.x, local.z])?.step?.target;
    if (target) takeMeThere(target);
  }

  function openQuiz(quizId, opener = document.activeElement) {
    if (state.learningSupported === false) {
      announce(t("quizNotWired"), { tone: "warn" });
      return;
    }
    // Make sure the server knows we are here before asking (it checks the radius).
    sendMove(performance.now(), true);
    quiz.open(quizId, { opener });
  }

  const hud = new Hud(state, conn, visitor, guide, {
    takeMeThere,
    stopWalk: () => {
      stopAuto();
      announce(t("walkStopped"));
    },
    openQuiz: (quizId) => openQuiz(quizId),
    showWelcome: () => welcome(true),
  });
  const quiz = new QuizDialog(document.getElementById("quiz-dialog"), conn, state, {
    onNext: goNext,
    fallbackFocus: () => document.querySelector("#guide button"),
  });
  const welcomeDialog = document.getElementById("welcome-dialog");
  const welcome = (force = false) => showWelcome(welcomeDialog, { onGo: goNext, force });

  /** A tap on the street: walk to the quiz circle, building or spot that was tapped. */
  function onTap(clientX, clientY) {
    if (!state.me || !conn.online) return;
    const hit = street.pick(clientX, clientY);
    if (!hit) return;
    if (hit.quizId) {
      const q = state.quizIndex.get(hit.quizId);
      const lm = state.landmarkIndex.get(q.landmark);
      walkTo(q.position, `${t("quizPoint")} · ${pick(lm?.name)}`, {
        quizId: q.id,
        landmark: lm ?? null,
      });
    } else if (hit.landmark) {
      walkTo(guide.front(hit.landmark), pick(hit.landmark.name), { landmark: hit.landmark });
    } else if (Math.hypot(hit.point[0] - local.x, hit.point[1] - local.z) > 1.5) {
      walkTo(walkable.nearestFit(hit.point), t("chosenSpot"));
    }
  }

  const joystickEl = document.getElementById("joystick");
  const touch = matchMedia("(pointer: coarse)").matches || "ontouchstart" in window;
  joystickEl.hidden = !touch;
  const controls = new Controls(street.renderer.domElement, joystickEl, { onTap });
  document.getElementById("hud").hidden = false;
  // The stage sits under the top bar, whose height changes with the text size.
  const resize = () => requestAnimationFrame(() => street.resize());
  new ResizeObserver(resize).observe(stage);
  onPrefs(resize);

  // -- server events -------------------------------------------------------------------------
  const sync = { sentAt: 0, sent: null };
  /** A fresh avatar faces where the guide leads (not a wall); a resumed one keeps its view. */
  function faceTheGuide() {
    const target = guide.next([local.x, local.z])?.step?.target;
    if (!target) return;
    yaw = headingTo([local.x, local.z], target.point);
    local.heading = yaw;
  }
  state.addEventListener("change", (e) => {
    const { what, msg, entered, left, resumed, slot } = e.detail;
    if (what === "welcome") {
      const me = state.me;
      street.me.setName(me.name);
      if (!resumed) {
        stopAuto();
        Object.assign(local, { x: me.x, z: me.z, heading: me.heading, anim: me.anim });
        yaw = me.heading;
        guide.reconsider();
        faceTheGuide();
      }
      sync.sent = null;
    } else if (what === "travelled") {
      guide.reconsider();
      stopAuto();
      Object.assign(local, { x: msg.x, z: msg.z, heading: msg.heading, anim: Anim.IDLE });
      yaw = msg.heading;
      sync.sent = { ...local };
    } else if (what === "my_name") {
      street.me.setName(e.detail.name);
    } else if (what === "correction") {
      stopAuto();
      Object.assign(local, { x: msg.x, z: msg.z, heading: msg.heading, anim: msg.anim });
      sync.sent = { ...local };
    } else if (what === "frame") {
      for (const id of left) street.removeAvatar(id);
      for (const id of entered) street.removeAvatar(id); // re-entered: name or look may differ
      syncAvatars();
    } else if (what === "safety") {
      for (const [id, a] of state.avatars) if (isBlocked(a.name)) street.removeAvatar(id);
      syncAvatars();
    } else if (what === "chat") {
      const view = msg.avatar_id === state.me?.id ? street.me : street.avatar(msg.avatar_id);
      view?.say(msg.text, performance.now() / 1000);
    } else if (what === "emote") {
      const view = msg.avatar_id === state.me?.id ? street.me : street.avatar(msg.avatar_id);
      if (view) {
        const now = performance.now() / 1000;
        view.emote = { kind: msg.emote, until: now + 2 };
        view.say(
          `${EMOTE_ICONS[msg.emote] ?? ""} ${t(EMOTE_KEYS[msg.emote] ?? "emotes")}`,
          now,
          2.5,
        );
      }
    } else if (what === "quiz_result" || what === "quiz_question") {
      const id = msg.quiz_id;
      street.setQuizStatus(id, state.quizzes.get(id)?.status ?? "new");
    } else if (what === "booth") {
      street.setBooth(slot, state.booths.get(slot)?.booth ?? null);
    } else if (what === "scene") {
      swapStreet(msg);
    }
  });

  // -- live reload: the rebuilt street swapped in, the connection kept -------------------------
  let swapping = false;
  let wanted = null; // the newest scene_changed not yet shown
  async function swapStreet(msg) {
    wanted = msg;
    if (swapping) return;
    swapping = true;
    try {
      while (wanted) {
        const next = wanted;
        wanted = null;
        const buffer = await downloadGlb(glbUrl(next.content_hash), () => {});
        stopAuto(); // a walk was planned on the old street
        manifest = next.manifest;
        walkable = new Walkable(manifest);
        road = new Road(manifest.street.centreline);
        Object.assign(guide, { walkable, road });
        guide.fronts.clear();
        guide.reconsider();
        await street.swapStreet(buffer, manifest, walkable);
        for (const [id, q] of state.quizzes) street.setQuizStatus(id, q.status);
        showEventQuizzes();
        insideQuiz = null;
        document.body.dataset.scene = next.content_hash;
        announce(t("streetUpdated"), { tone: "good" });
        window.dispatchEvent(new CustomEvent("srichan:scene-swapped", { detail: next }));
      }
    } catch (err) {
      console.error(err);
      announce(t("streetUpdateFailed"), { tone: "warn" });
    } finally {
      swapping = false;
    }
  }
  // A rebuild announced while this street was still downloading.
  if (state.manifest !== manifest) {
    swapStreet({ content_hash: state.manifest.content_hash, manifest: state.manifest });
  }
  onLang(() => street.relabel());

  /** Views for exactly the avatars the state knows (frames may have come while loading). */
  function syncAvatars() {
    for (const id of [...street.avatars.keys()])
      if (!state.avatars.has(id)) street.removeAvatar(id);
    for (const [id, a] of state.avatars) {
      if (isBlocked(a.name)) continue; // blocked on this device: not drawn
      if (!street.avatar(id)) street.addAvatar(id, { name: a.name, look: a.look });
    }
  }
  // Everything that arrived while the street was downloading.
  if (state.me) {
    street.me.setName(state.me.name);
    Object.assign(local, { x: state.me.x, z: state.me.z, heading: state.me.heading });
    yaw = state.me.heading;
    if (!conn.welcome?.resumed) faceTheGuide();
  }
  keepOneName(conn, state, visitor);
  syncAvatars();
  for (const [slot, b] of state.booths) street.setBooth(slot, b.booth);
  for (const [id, q] of state.quizzes) street.setQuizStatus(id, q.status);
  // Event quiz points show only in their event's window; the board says when an edge passes.
  function showEventQuizzes() {
    for (const q of manifest.quiz_points) street.setQuizOn(q.id, state.quizOn(q.id));
  }
  showEventQuizzes();
  state.addEventListener("change", (e) => {
    if (["events", "events_edge"].includes(e.detail.what)) showEventQuizzes();
  });
  const eventChip = document.getElementById("events-chip");
  const eventLine = document.getElementById("events-summary");
  // Phones stack the landmark chip under this line: tell the stylesheet its height.
  new ResizeObserver(() => {
    const h = eventLine.offsetHeight;
    document.documentElement.style.setProperty("--events-h", `${h ? h + 6 : 0}px`);
  }).observe(eventLine);
  new EventBoard(state, document.getElementById("events-board"), goToEvent, {
    summary(text, live) {
      eventChip.hidden = !text;
      eventChip.dataset.live = String(live);
      eventLine.textContent = text;
    },
  });
  /** To the event's first quiz point while it is on, else to the front of its landmark. */
  function goToEvent(ev) {
    eventChip.open = false;
    const lm = state.landmarkIndex.get(ev.landmark);
    const q = ev.quiz_points.map((id) => state.quizIndex.get(id)).find((x) => x);
    const on = q && state.quizOn(q.id);
    const point = on ? q.position : frontOf(lm, walkable, road);
    takeMeThere({ point, label: pick(ev.title), landmark: lm, quizId: on ? q.id : null });
  }
  window.addEventListener("resize", () => street.resize());

  // -- quiz points: stepping into one opens its question ---------------------------------------
  let insideQuiz = null;
  function quizHere() {
    let here = null;
    for (const q of manifest.quiz_points) {
      if (!state.quizOn(q.id)) continue;
      if (Math.hypot(q.position[0] - local.x, q.position[1] - local.z) < q.radius - 0.3) here = q;
    }
    return here;
  }
  function checkQuizPoints() {
    const here = quizHere();
    if (here?.id === insideQuiz) return;
    insideQuiz = here?.id ?? null;
    // Walking by itself past other circles opens nothing: only where it was sent.
    if (!here || quiz.isOpen || !conn.online || auto) return;
    if (state.quizFinished(here.id)) {
      announce(`${t("quizDone")} ✓`, { tone: "good" });
      return;
    }
    openQuiz(here.id, null);
  }

  function sendMove(nowMs, force = false) {
    if (!conn.online || !state.me) return;
    const s = sync.sent;
    const changed =
      !s ||
      Math.abs(s.x - local.x) > 0.01 ||
      Math.abs(s.z - local.z) > 0.01 ||
      Math.abs(s.heading - local.heading) > 2 ||
      s.anim !== local.anim;
    if (!changed) return;
    if (!force && nowMs - sync.sentAt < SEND_EVERY_MS && s && s.anim === local.anim) return;
    conn.send(MsgType.MOVE, { x: local.x, z: local.z, heading: local.heading, anim: local.anim });
    sync.sentAt = nowMs;
    sync.sent = { ...local };
    state.moveMe(local.x, local.z, local.heading, local.anim);
  }

  let lastGuide = 0;
  function updateGuide(nowMs) {
    if (nowMs - lastGuide < GUIDE_EVERY_MS) return;
    lastGuide = nowMs;
    if (auto) {
      hud.renderGuide({
        kind: "walk",
        label: auto.label,
        remaining: auto.route.remaining,
        total: auto.route.total,
        speed: AUTO_WALK_SPEED,
      });
      return;
    }
    if (insideQuiz && !quiz.isOpen && !state.quizFinished(insideQuiz)) {
      const q = state.quizIndex.get(insideQuiz);
      hud.renderGuide({
        kind: "quiz",
        quizId: insideQuiz,
        label: pick(state.landmarkIndex.get(q.landmark)?.name),
      });
      return;
    }
    const next = guide.next([local.x, local.z]);
    hud.renderGuide(next ? { kind: "next", next, pos: [local.x, local.z] } : { kind: "done" });
  }

  // -- the frame loop ------------------------------------------------------------------------
  const probe =
    qualitySetting() === "auto" && quality === "high"
      ? fpsProbe((ms) => {
          street.lowerQuality();
          document.body.dataset.quality = "low";
          console.info(`slow first frames (${ms.toFixed(0)} ms): low quality`);
        })
      : null;
  let last = performance.now();
  let frames = 0;
  const loop = (now) => {
    const dt = Math.min(0.1, (now - last) / 1000);
    const frameMs = now - last;
    last = now;
    const dialogOpen = quiz.isOpen || hud.panel.open || welcomeDialog.open;
    controls.enabled = !dialogOpen;
    const input = controls.read(dt);
    yaw += input.yawDelta;
    pitch = Math.max(PITCH_MIN, Math.min(PITCH_MAX, pitch + input.pitchDelta));
    if (input.yawDelta || input.pitchDelta) street.focusOn(null);
    const canWalk = conn.online && state.me;
    const moving = canWalk && (input.forward !== 0 || input.strafe !== 0);
    if (moving) {
      stopAuto();
      street.focusOn(null);
      const a = (yaw * Math.PI) / 180;
      const fx = Math.cos(a);
      const fz = -Math.sin(a);
      // Right of the view direction is the forward vector turned clockwise seen from above.
      const mx = fx * input.forward + -fz * input.strafe;
      const mz = fz * input.forward + fx * input.strafe;
      const speed = input.run ? RUN_SPEED : WALK_SPEED;
      const [nx, nz] = walkable.slide(
        [local.x, local.z],
        [local.x + mx * speed * dt, local.z + mz * speed * dt],
      );
      const target = (Math.atan2(-mz, mx) * 180) / Math.PI;
      local.heading = turnTowards(local.heading, target, dt * 12);
      local.x = nx;
      local.z = nz;
      local.anim = input.run ? Anim.RUN : Anim.WALK;
    } else if (auto && canWalk && !dialogOpen) {
      // Never more than the time that really passed (dt is capped), so the server agrees.
      const step = auto.route.advance(AUTO_WALK_SPEED * dt, local.heading);
      local.x = step.x;
      local.z = step.z;
      local.heading = turnTowards(local.heading, step.heading, dt * 10);
      local.anim = Anim.RUN;
      // The view turns with the walk, so the visitor sees where they are going.
      if (!controls.dragging) yaw = turnTowards(yaw, local.heading, dt * 2.5);
      if (auto.route.done) arrive();
    } else if (local.anim === Anim.WALK || local.anim === Anim.RUN) {
      local.anim = Anim.IDLE;
    }
    sendMove(now);
    if (canWalk) checkQuizPoints();
    updateGuide(now);

    const nowS = now / 1000;
    street.me.pose(local.x, local.z, local.heading, local.anim, dt, nowS);
    const rt = state.renderTime(nowS);
    for (const [id, a] of state.avatars) {
      const view = street.avatar(id);
      if (!view) continue;
      const p = a.at(rt);
      view.pose(p.x, p.z, p.heading, p.anim, dt, nowS);
    }
    street.follow(local.x, local.z, yaw, pitch, dt);
    street.render(dt, [local.x, local.z]);
    hud.renderCard(hud.nearLandmark(local.x, local.z));
    hud.drawMinimap(
      [local.x, local.z],
      local.heading,
      now,
      (id) => state.quizzes.get(id)?.status,
      auto ? auto.route.end : null,
    );
    frames += 1;
    if (frames > 3 && probe) probe(frameMs);
    if (frames === 1) {
      loading.done();
      document.body.dataset.firstFrame = String(Math.round(performance.now()));
      window.dispatchEvent(new CustomEvent("srichan:first-frame"));
      welcome();
    }
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  // A handle for tests, benchmarks and curious developers in the console.
  window.srichan = {
    state,
    conn,
    street,
    local,
    quiz,
    hud,
    guide,
    walkTo,
    takeMeThere,
    get auto() {
      return auto;
    },
    view: {
      get yaw() {
        return yaw;
      },
    },
  };
  return { street, hud, quiz };
}
