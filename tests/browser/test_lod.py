"""Levels of detail in the browser: a heavy imported landmark's two levels (built by the scene
tool, packed by gltfpack) become one THREE.LOD that switches to the far copy at `far_m`."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

import pytest

from srichan_world.gltf.compile import build_glb
from srichan_world.gltf.lod import far_from
from srichan_world.scene.load import load_scene_text
from tests.browser.conftest import NewPage, Server
from tests.gltf.test_imported import museum
from tests.gltf.test_lod import heavy_model

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

LOD_JS = """async (b64) => {
  const THREE = await import('three');
  const { GLTFLoader } = await import('three/addons/loaders/GLTFLoader.js');
  const { MeshoptDecoder } = await import('three/addons/libs/meshopt_decoder.module.js');
  const { useLevelsOfDetail } = await import('/static/js/lod3d.js');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const loader = new GLTFLoader().setMeshoptDecoder(MeshoptDecoder);
  const gltf = await new Promise((ok, fail) => loader.parse(bytes.buffer, '', ok, fail));
  const made = useLevelsOfDetail(gltf.scene);
  gltf.scene.updateMatrixWorld(true);
  const camera = new THREE.PerspectiveCamera();
  const levelAt = (lod, metres) => {
    const at = new THREE.Vector3().setFromMatrixPosition(lod.matrixWorld);
    camera.position.copy(at).add(new THREE.Vector3(0, 0, metres));
    camera.updateMatrixWorld(true);
    lod.update(camera);
    return lod.getCurrentLevel();
  };
  const triangles = (obj) => { let n = 0; obj.traverse((m) => {
    const g = m.isMesh ? m.geometry : null;
    if (g) n += (g.index ? g.index.count : g.attributes.position.count) / 3;
  }); return n; };
  return made.map((lod) => ({
    name: lod.name,
    distances: lod.levels.map((l) => l.distance),
    triangles: lod.levels.map((l) => triangles(l.object)),
    near: levelAt(lod, 30), far: levelAt(lod, lod.levels[1].distance + 20),
  }));
}"""


async def test_a_heavy_landmark_is_drawn_simplified_from_afar(
    server: Server, new_page: NewPage, srichan_scene_text: str, tmp_path: Path
) -> None:
    srichan_scene = load_scene_text(srichan_scene_text)
    heavy_model(tmp_path / "dome.glb")
    lm = museum(srichan_scene)
    landmarks = tuple(
        dataclasses.replace(x, model="dome.glb") if x.id == lm.id else x
        for x in srichan_scene.landmarks
    )
    glb = build_glb(dataclasses.replace(srichan_scene, landmarks=landmarks), base=tmp_path).glb
    page = await new_page(f"{server.url}/?mode=list")
    (lod,) = await page.evaluate(LOD_JS, base64.b64encode(glb).decode())
    assert lod["name"] == f"lod_{lm.id}"
    assert lod["distances"] == [0, far_from(lm)]
    near, far = lod["triangles"]
    assert far < near / 3, "the far copy is the simplified one"
    assert (lod["near"], lod["far"]) == (0, 1)
