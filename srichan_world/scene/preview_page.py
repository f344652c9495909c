"""The author page: the plan (:func:`~srichan_world.scene.preview.preview_svg`) you can zoom,
pan and search by id, and a 3D view of the compiled street that opens at any point you click.

``srichan scene preview FILE --html -o plan.html`` writes the page alone (plan and search; the
3D view needs the street GLB and three.js, so it says how to get them); ``srichan scene preview
FILE --serve`` builds the street and serves the page with ``/street.glb`` and three.js from
``node_modules`` on a loopback port.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from srichan_world.scene.model import Scene
from srichan_world.scene.preview import preview_svg

PAGE = """<!doctype html>
<html lang="th">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__ — plan</title>
<script type="importmap">
  { "imports": { "three": "/vendor/three/build/three.module.js",
                 "three/addons/": "/vendor/three/examples/jsm/" } }
</script>
<style>
  body { margin: 0; font: 14px Garuda, 'Noto Sans Thai', sans-serif; display: grid;
         grid-template-rows: auto 1fr; height: 100vh; }
  header { display: flex; gap: .75rem; align-items: center; padding: .4rem .75rem;
           background: #1e5b3a; color: #fff; flex-wrap: wrap; }
  header input { font: inherit; padding: .2rem .4rem; width: 16rem; }
  main { display: grid; grid-template-columns: 1fr; min-height: 0; }
  main.with-3d { grid-template-columns: 3fr 2fr; }
  #plan { overflow: hidden; cursor: crosshair; background: #eef3e6; min-height: 0; }
  #plan svg { width: 100%; height: 100%; display: block; }
  #view { position: relative; min-height: 0; display: none; }
  main.with-3d #view { display: block; }
  #view canvas { width: 100%; height: 100%; display: block; }
  #status { font-variant-numeric: tabular-nums; }
  .found > * { animation: pulse 1s ease-in-out 3; }
  .found polygon, .found circle { stroke: #d00 !important; stroke-width: 1 !important; }
  @keyframes pulse { 50% { opacity: .3; } }
</style>
</head>
<body>
<header>
  <strong>__TITLE__</strong>
  <label>id <input id="find" list="ids" placeholder="q-gate-uil, B01, city-gate …"></label>
  <datalist id="ids">__OPTIONS__</datalist>
  <span id="status">wheel: zoom · drag: pan · click: 3D view there</span>
</header>
<main>
  <div id="plan">__SVG__</div>
  <div id="view"><canvas id="canvas"></canvas></div>
</main>
<script>
const HAS_3D = __HAS_3D__;
const svg = document.querySelector("#plan svg");
svg.removeAttribute("width");
svg.removeAttribute("height");
const home = svg.getAttribute("viewBox").split(" ").map(Number);
let box = [...home];
const show = () => svg.setAttribute("viewBox", box.map((v) => v.toFixed(2)).join(" "));
const toPlan = (event) => {
  const screen = new DOMPoint(event.clientX, event.clientY);
  const p = screen.matrixTransform(svg.getScreenCTM().inverse());
  return [p.x, p.y];
};
svg.addEventListener("wheel", (event) => {
  event.preventDefault();
  const [x, y] = toPlan(event);
  const k = event.deltaY > 0 ? 1.25 : 0.8;
  box = [x - (x - box[0]) * k, y - (y - box[1]) * k, box[2] * k, box[3] * k];
  show();
}, { passive: false });
let drag = null;
svg.addEventListener("pointerdown", (event) => { drag = { at: toPlan(event), moved: false }; });
svg.addEventListener("pointermove", (event) => {
  if (!drag || !event.buttons) return;
  const [x, y] = toPlan(event);
  if (Math.hypot(x - drag.at[0], y - drag.at[1]) > 0.5) drag.moved = true;
  box[0] -= x - drag.at[0];
  box[1] -= y - drag.at[1];
  show();
});
svg.addEventListener("pointerup", (event) => {
  if (drag && !drag.moved) openAt(...toPlan(event));
  drag = null;
});
function find(id) {
  document.querySelectorAll(".found").forEach((n) => n.classList.remove("found"));
  const node = [...svg.querySelectorAll("[data-id]")].find((n) => n.dataset.id === id.trim());
  const status = document.getElementById("status");
  if (!node) { status.textContent = `no id ${id}`; return; }
  const b = node.getBBox();
  const size = Math.max(b.width, b.height, 30) * 2;
  const aspect = svg.clientHeight / svg.clientWidth || 0.5;
  const [cx, cy] = [b.x + b.width / 2, b.y + b.height / 2];
  box = [cx - size / 2, cy - (size * aspect) / 2, size, size * aspect];
  show();
  node.classList.add("found");
  status.textContent = `${node.id} at x ${cx.toFixed(1)}, z ${cy.toFixed(1)}`;
}
document.getElementById("find").addEventListener("change", (event) => find(event.target.value));
let viewer = null;
async function openAt(x, z) {
  const status = document.getElementById("status");
  status.textContent = `x ${x.toFixed(1)}, z ${z.toFixed(1)}`;
  if (!HAS_3D) {
    status.textContent += " — the 3D view needs `srichan scene preview FILE --serve`";
    return;
  }
  document.querySelector("main").classList.add("with-3d");
  viewer ??= await import("/viewer.js").then((m) => m.start(document.getElementById("canvas")));
  viewer.goTo(x, z);
}
window.findId = find;
window.openAt = openAt;
</script>
</body>
</html>
"""

VIEWER = """// The author page's 3D view: the compiled street, orbiting around the clicked point.
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";
import { MeshoptDecoder } from "three/addons/libs/meshopt_decoder.module.js";

export async function start(canvas) {
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true });
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xa9d6f5);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x667755, 1.5));
  const sun = new THREE.DirectionalLight(0xffffff, 2);
  sun.position.set(50, 100, 30);
  scene.add(sun);
  const camera = new THREE.PerspectiveCamera(55, 1, 0.1, 3000);
  const controls = new OrbitControls(camera, canvas);
  const draw = () => {
    const { clientWidth: w, clientHeight: h } = canvas;
    if (canvas.width !== w || canvas.height !== h) {
      renderer.setSize(w, h, false);
      camera.aspect = w / h;
      camera.updateProjectionMatrix();
    }
    renderer.render(scene, camera);
  };
  controls.addEventListener("change", draw);
  window.addEventListener("resize", draw);
  const loader = new GLTFLoader().setMeshoptDecoder(MeshoptDecoder);
  const gltf = await loader.loadAsync("/street.glb");
  scene.add(gltf.scene);
  window.viewerReady = true;
  return {
    goTo(x, z) {
      controls.target.set(x, 1.5, z);
      camera.position.set(x - 14, 9, z + 14);
      controls.update();
      draw();
    },
  };
}
"""


def preview_html(scene: Scene, with_3d: bool = False) -> str:
    """The author page for ``scene``; ``with_3d`` when served next to ``/street.glb``,
    ``/viewer.js`` (:data:`VIEWER`) and ``/vendor/three/``."""
    svg = preview_svg(scene).split("\n", 1)[1]  # drop the XML declaration
    ids = [
        *(lm.id for lm in scene.landmarks),
        *(q.id for q in scene.quiz_points),
        *(b.id for b in scene.booth_slots),
        *(s.id for s in scene.spawn_points),
    ]
    options = "".join(f'<option value="{escape(i)}">' for i in ids)
    return (
        PAGE.replace("__TITLE__", escape(f"{scene.title.th} · {scene.title.en}"))
        .replace("__OPTIONS__", options)
        .replace("__HAS_3D__", json.dumps(with_3d))
        .replace("__SVG__", svg)
    )
