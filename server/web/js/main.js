// Start-up: display preferences and language, mode (3D, or the list mode when asked for or
// when WebGL is missing), the scene manifest, the WebSocket session, then the chosen mode. The
// list mode never downloads three.js or the GLB.

import { MsgType } from "../protocol.js";
import { announce, keepAnnouncementsOnTop } from "./dom.js";
import { downloadGlb, glbUrl } from "./download.js";
import { applyStatic, onLang, pick, t, toggleLang } from "./i18n.js";
import { loadVisitor } from "./identity.js";
import { ConnState, Connection } from "./net.js";
import { applyPrefs } from "./prefs.js";
import { startSignIn } from "./signin.js";
import { switchMode } from "./settings.js";
import { WorldState } from "./state.js";
import { startUsage } from "./usage.js";

const MODE_KEY = "srichan.mode";
const RESUME_KEY = "srichan.resume";

function webglAvailable() {
  try {
    const canvas = document.createElement("canvas");
    return !!(canvas.getContext("webgl2") || canvas.getContext("webgl"));
  } catch {
    return false;
  }
}

function storedMode() {
  try {
    return localStorage.getItem(MODE_KEY);
  } catch {
    return null;
  }
}

/** "list" or "3d", and whether the list mode was forced by a missing WebGL. */
export function chooseMode(search = location.search) {
  const asked = new URLSearchParams(search).get("mode") || storedMode();
  if (asked === "list") return { mode: "list", fallback: false };
  if (!webglAvailable()) return { mode: "list", fallback: true };
  return { mode: "3d", fallback: false };
}

/** The loading screen: real byte progress while the GLB downloads. */
function loadingScreen() {
  const root = document.getElementById("loading");
  const bar = document.getElementById("load-progress");
  const text = document.getElementById("load-text");
  const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
  return {
    progress(received, total) {
      if (total) {
        bar.max = total;
        bar.value = Math.min(received, total);
        text.textContent = `${t("loadingScene")} ${Math.floor((100 * Math.min(received, total)) / total)}% · ${kb(received)} / ${kb(total)}`;
      } else {
        bar.removeAttribute("value");
        text.textContent = `${t("loadingScene")} · ${kb(received)}`;
      }
    },
    building() {
      text.textContent = t("loadingBuild");
    },
    done() {
      root.hidden = true;
      document.body.classList.remove("booting");
    },
    failed(err, retry) {
      text.textContent = `${t("loadFailed")}: ${err.message}`;
      const button = document.getElementById("load-retry");
      button.hidden = false;
      button.onclick = retry;
    },
  };
}

function topBar(state, conn, mode) {
  // The HUD sits below the bar, whose height changes with wrapping and language.
  const bar = document.getElementById("topbar");
  new ResizeObserver(() => {
    document.documentElement.style.setProperty("--topbar-h", `${bar.offsetHeight}px`);
  }).observe(bar);
  const langBtn = document.getElementById("btn-lang");
  langBtn.addEventListener("click", toggleLang);
  const modeBtn = document.getElementById("btn-mode");
  modeBtn.addEventListener("click", () => switchMode(mode === "list" ? "3d" : "list"));
  const conns = document.getElementById("conn");
  const balance = document.getElementById("balance-value");
  const render = () => {
    langBtn.lang = t("langToggle") === "English" ? "en" : "th";
    modeBtn.textContent = mode === "list" ? t("mode3d") : t("listMode");
    const s = state.connection.state;
    conns.dataset.state = s;
    const key = {
      connecting: "connConnecting",
      online: "connOnline",
      offline: "connOffline",
      refused: "connRefused",
    }[s];
    conns.querySelector(".conn-text").textContent = t(key);
    balance.textContent = state.balance == null ? "–" : String(state.balance);
  };
  state.addEventListener("change", (e) => {
    if (["connection", "wallet", "welcome"].includes(e.detail.what)) render();
  });
  onLang(render);
  render();
}

function connect(state, visitor) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const conn = new Connection(`${scheme}://${location.host}/ws`, () => ({
    name: visitor.name,
    look: visitor.look,
    visitor_id: visitor.visitor_id,
    visitor_secret: visitor.visitor_secret,
  }));
  // A reload (mode or quality switch) within 30 s resumes the same avatar; with the token
  // goes when the server was last heard, so a tab reopened long after sends no stale token.
  try {
    const saved = JSON.parse(sessionStorage.getItem(RESUME_KEY) ?? "null");
    if (typeof saved?.token === "string") {
      conn.resumeToken = saved.token;
      conn.heardAt = Number(saved.heardAt) || 0;
    }
  } catch {
    // no resume across reloads
  }
  const keepResume = () => {
    if (!conn.resumeToken) return;
    try {
      const saved = { token: conn.resumeToken, heardAt: conn.heardAt };
      sessionStorage.setItem(RESUME_KEY, JSON.stringify(saved));
    } catch {
      // fine
    }
  };
  // a phone may end a hidden tab without a pagehide
  addEventListener("pagehide", keepResume);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") keepResume();
  });
  conn.addEventListener("state", (e) => state.setConnection(e.detail));
  conn.addEventListener("message", (e) => state.apply(e.detail));
  conn.addEventListener("welcome", () => {
    keepResume();
    // The server sends the wallet and the quests' progress after the welcome by itself;
    // the badges are asked for (a server without them answers unsupported, ignored).
    conn.send(MsgType.BADGES_GET, {});
    if (state.manifest.courses?.length) conn.send(MsgType.COURSES_GET, {});
  });
  state.addEventListener("change", (e) => {
    if (e.detail.what === "badge")
      announce(`${t("badgeEarned")}: ${pick(e.detail.msg.badge.name)}`);
    if (e.detail.what === "course" && e.detail.completedNow)
      announce(
        `${t("courseCompleted")}: ${pick(state.manifest.courses.find((c) => c.id === e.detail.msg.course.course)?.title)}`,
      );
  });
  conn.addEventListener("state", (e) => {
    if (e.detail.state === ConnState.OFFLINE && state.me)
      announce(t("connOffline"), { tone: "warn" });
  });
  conn.open();
  return conn;
}

async function fetchManifest() {
  const response = await fetch("/scene/manifest.json");
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

/** The deep end of the 3D module graph, fetched at once instead of level by level. */
const PRELOAD_3D = [
  "/vendor/three/build/three.core.js",
  "/vendor/three/build/three.module.js",
  "/vendor/three/examples/jsm/loaders/GLTFLoader.js",
  "/vendor/three/examples/jsm/renderers/CSS2DRenderer.js",
  "/vendor/three/examples/jsm/utils/BufferGeometryUtils.js",
  "/vendor/three/examples/jsm/utils/SkeletonUtils.js",
  "/static/js/app3d.js",
  "/static/js/scene3d.js",
  "/static/js/avatars3d.js",
  "/static/js/camera3d.js",
  "/static/js/labels3d.js",
];

function preload(urls) {
  for (const href of urls) {
    document.head.append(
      Object.assign(document.createElement("link"), { rel: "modulepreload", href }),
    );
  }
}

async function boot() {
  applyPrefs();
  applyStatic(document);
  keepAnnouncementsOnTop();
  const { mode, fallback } = chooseMode();
  document.body.dataset.mode = mode;
  const loading = loadingScreen();
  // Start fetching the mode's code (three.js for 3D) while the manifest downloads.
  if (mode === "3d") preload(PRELOAD_3D);
  const modeModule = mode === "list" ? import("./listmode.js") : import("./app3d.js");
  modeModule.catch(() => {}); // awaited below; do not report twice
  let manifest;
  try {
    manifest = await fetchManifest();
  } catch (err) {
    loading.failed(err, () => location.reload());
    return;
  }
  const state = new WorldState(manifest);
  await startSignIn(); // a sign-in just finished may bring this device another identity
  const visitor = loadVisitor();
  const conn = connect(state, visitor);
  startUsage(conn, mode);
  topBar(state, conn, mode);
  try {
    if (mode === "list") {
      const { startList } = await modeModule;
      await startList({ manifest, state, conn, visitor, fallback });
      loading.done();
    } else {
      // The GLB downloads while three.js does.
      const glb = downloadGlb(glbUrl(manifest.content_hash), loading.progress);
      const { start3d } = await modeModule;
      await start3d({ manifest, state, conn, visitor, loading, glb });
    }
  } catch (err) {
    console.error(err);
    loading.failed(err, () => location.reload());
  }
}

boot();
