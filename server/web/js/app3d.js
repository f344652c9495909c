// The 3D mode: download the street with real progress, then walk. The client owns its
// avatar's position (predicts it, collides with the walkable area) and tells the server with
// `move` at most 10 times a second; other avatars are drawn ~100 ms in the past, interpolated.

import { Anim, MsgType } from "../protocol.js";
import { Controls } from "./controls.js";
import { announce } from "./dom.js";
import { Walkable } from "./geometry.js";
import { EMOTE_ICONS, EMOTE_KEYS } from "./emotes.js";
import { Hud } from "./hud.js";
import { onLang, t } from "./i18n.js";
import { QuizDialog } from "./panels.js";
import { fpsProbe, initialQuality, qualitySetting } from "./quality.js";
import { Street3D } from "./scene3d.js";

const WALK_SPEED = 4.0; // m/s
const RUN_SPEED = 6.5; // m/s, under the server's 8 m/s limit
const SEND_EVERY_MS = 100;
const PITCH_MIN = 0.05;
const PITCH_MAX = 1.25;

/** `glb` is the promise of the street's bytes (main.js starts the download early). */
export async function start3d({ manifest, state, conn, visitor, loading, glb }) {
  const walkable = new Walkable(manifest);
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
  let pitch = 0.32;
  street.addAvatar(0, { name: "", look: conn.hello().look, mine: true });

  const hud = new Hud(state, conn, visitor);
  const quiz = new QuizDialog(document.getElementById("quiz-dialog"), conn, state);
  const joystickEl = document.getElementById("joystick");
  const touch = matchMedia("(pointer: coarse)").matches || "ontouchstart" in window;
  joystickEl.hidden = !touch;
  const controls = new Controls(street.renderer.domElement, joystickEl);
  document.getElementById("hud").hidden = false;

  // -- server events -------------------------------------------------------------------------
  const sync = { sentAt: 0, sent: null };
  state.addEventListener("change", (e) => {
    const { what, msg, entered, left, resumed, slot } = e.detail;
    if (what === "welcome") {
      const me = state.me;
      street.me.setName(me.name);
      if (!resumed) {
        Object.assign(local, { x: me.x, z: me.z, heading: me.heading, anim: me.anim });
        yaw = me.heading;
      }
      sync.sent = null;
    } else if (what === "correction") {
      Object.assign(local, { x: msg.x, z: msg.z, heading: msg.heading, anim: msg.anim });
      sync.sent = { ...local };
    } else if (what === "frame") {
      for (const id of left) street.removeAvatar(id);
      for (const id of entered) street.removeAvatar(id); // re-entered: name or look may differ
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
    }
  });
  onLang(() => street.relabel());

  /** Views for exactly the avatars the state knows (frames may have come while loading). */
  function syncAvatars() {
    for (const id of [...street.avatars.keys()])
      if (!state.avatars.has(id)) street.removeAvatar(id);
    for (const [id, a] of state.avatars) {
      if (!street.avatar(id)) street.addAvatar(id, { name: a.name, look: a.look });
    }
  }
  // Everything that arrived while the street was downloading.
  if (state.me) {
    street.me.setName(state.me.name);
    Object.assign(local, { x: state.me.x, z: state.me.z, heading: state.me.heading });
    yaw = state.me.heading;
  }
  syncAvatars();
  for (const [slot, b] of state.booths) street.setBooth(slot, b.booth);
  for (const [id, q] of state.quizzes) street.setQuizStatus(id, q.status);
  window.addEventListener("resize", () => street.resize());

  // -- quiz points: stepping into one opens its question ---------------------------------------
  let insideQuiz = null;
  function checkQuizPoints() {
    let here = null;
    for (const q of manifest.quiz_points) {
      if (Math.hypot(q.position[0] - local.x, q.position[1] - local.z) < q.radius - 0.3) here = q;
    }
    if (here?.id === insideQuiz) return;
    insideQuiz = here?.id ?? null;
    if (!here || quiz.isOpen || !conn.online) return;
    if (state.quizFinished(here.id)) {
      announce(`${t("quizDone")} ✓`, { tone: "good" });
      return;
    }
    if (state.learningSupported === false) {
      announce(t("quizNotWired"), { tone: "warn" });
      return;
    }
    // Make sure the server knows we are here before asking (it checks the radius).
    sendMove(performance.now(), true);
    quiz.open(here.id);
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
    controls.enabled = !quiz.isOpen && !hud.panel.open;
    const input = controls.read(dt);
    yaw += input.yawDelta;
    pitch = Math.max(PITCH_MIN, Math.min(PITCH_MAX, pitch + input.pitchDelta));
    const canWalk = conn.online && state.me;
    const moving = canWalk && (input.forward !== 0 || input.strafe !== 0);
    if (moving) {
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
      const turn = ((target - local.heading + 540) % 360) - 180;
      local.heading = (local.heading + turn * Math.min(1, dt * 12) + 360) % 360;
      local.x = nx;
      local.z = nz;
      local.anim = input.run ? Anim.RUN : Anim.WALK;
    } else if (local.anim === Anim.WALK || local.anim === Anim.RUN) {
      local.anim = Anim.IDLE;
    }
    sendMove(now);
    if (canWalk) checkQuizPoints();

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
    hud.drawMinimap([local.x, local.z], local.heading, now, (id) => state.quizzes.get(id)?.status);
    frames += 1;
    if (frames > 3 && probe) probe(frameMs);
    if (frames === 1) {
      loading.done();
      document.body.dataset.firstFrame = String(Math.round(performance.now()));
      window.dispatchEvent(new CustomEvent("srichan:first-frame"));
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
    view: {
      get yaw() {
        return yaw;
      },
    },
  };
  return { street, hud, quiz };
}
