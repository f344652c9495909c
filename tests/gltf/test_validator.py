"""The Khronos glTF validator accepts our GLBs with no errors and no warnings.

Runs ``node tools/validate_gltf.mjs`` (npm ``gltf-validator``); CI installs it with ``npm ci``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from srichan_world.gltf.compile import BuildResult
from srichan_world.gltf.stats import stats_of

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "validate_gltf.mjs"

pytestmark = pytest.mark.skipif(
    not (ROOT / "node_modules" / "gltf-validator").is_dir(),
    reason="node_modules/gltf-validator is missing: run `npm ci` (tools/setup.sh does)",
)


def validate(glb: bytes, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "scene.glb"
    path.write_bytes(glb)
    done = subprocess.run(
        ["node", str(SCRIPT), str(path)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("kind", ["glb", "fallback"])
@pytest.mark.parametrize("which", ["mini", "srichan"])
def test_validator_reports_no_errors_or_warnings(
    which: str, kind: str, request, tmp_path: Path
) -> None:
    build: BuildResult = request.getfixturevalue(f"{which}_build")
    glb = getattr(build, kind)
    report = validate(glb, tmp_path)
    issues = report["issues"]
    serious = [m for m in issues["messages"] if m["severity"] <= 1]
    assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, serious
    # The validator's own counts agree with ours (it draws a GPU-instanced mesh once).
    stats = stats_of(glb)
    assert report["info"]["drawCallCount"] == stats.draw_calls
    assert report["info"]["materialCount"] == stats.materials
    if kind == "fallback":
        assert report["info"]["totalTriangleCount"] == stats.triangles == build.stats.triangles


def test_validator_does_catch_a_broken_glb(mini_build: BuildResult, tmp_path: Path) -> None:
    broken = mini_build.fallback.replace(b'"componentType":5126', b'"componentType":5127', 1)
    assert broken != mini_build.fallback
    assert validate(broken, tmp_path)["issues"]["numErrors"] > 0
