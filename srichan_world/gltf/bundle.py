"""A scene file checked and built into the files the server serves, in memory.

One function for both callers, so they cannot drift apart: ``srichan scene build`` writes the
result to disk, and ``srichan serve --watch`` (server/reload/) builds in a helper process and
switches to the result. :func:`check_file` is exactly ``scene check`` (every problem of the
scene file and of its imported models, each with its line and column); :func:`build_file` runs
it, then compiles, checks the budget and names the build by its content hash.

The content hash covers the GLB, the public manifest and the answers, so two builds of the
same street have the same name, and one that changes anything a visitor or the server sees
has a new one (the browser caches a GLB forever under its hash).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from srichan_world.scene.images import lesson_images
from srichan_world.scene.load import SceneError, load_scene_text
from srichan_world.scene.manifest import answers, public_manifest
from srichan_world.scene.model import Scene
from srichan_world.scene.problems import Problem, annotate


def canonical_json(value: Any) -> bytes:
    """Stable bytes for hashing and writing: sorted keys, UTF-8, no ASCII escaping of Thai."""
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()


def summary(scene: Scene) -> str:
    return (
        f"{len(scene.landmarks)} landmarks, {len(scene.quiz_points)} quiz "
        f"points, {len(scene.quests)} quests, {len(scene.booth_slots)} booth slots, "
        f"{len(scene.spawn_points)} spawn points"
    )


def model_problems(scene: Scene, path: Path, known_valid: set[str] | None = None) -> list[Problem]:
    """Imported landmark models checked as the build will (validator, budget), as problems
    pointing at their ``model = …`` line. ``known_valid``: SHA-256 digests of model files the
    Khronos validator passed before (not validated again; each one that passes is added), for
    a caller that builds the same street again and again (live reload)."""
    if not any(lm.model for lm in scene.landmarks):
        return []
    from srichan_world.gltf.imported import ModelError, load_model  # imports trimesh

    text = path.read_text(encoding="utf-8")
    problems = []
    for i, lm in enumerate(scene.landmarks):
        if lm.model:
            model = path.parent / lm.model
            digest = hashlib.sha256(model.read_bytes()).hexdigest() if model.is_file() else ""
            known = known_valid is not None and digest in known_valid
            try:
                load_model(model, lm, scene.budget, validated=known)
            except ModelError as exc:
                problems.append(Problem(f"landmarks[{i}].model", str(exc)))
            else:
                if known_valid is not None and digest:
                    known_valid.add(digest)
    return annotate(problems, text, tomllib.loads(text))


def problem_json(path: Path, problem: Problem) -> dict[str, Any]:
    """One problem as ``scene check --format json`` reports it."""
    return {"file": str(path)} | problem.to_json()


def _plain(path: Path, message: str) -> dict[str, Any]:
    return problem_json(path, Problem("", message))


@dataclass(frozen=True)
class Checked:
    """What ``scene check`` found: the scene when it loaded, every problem (JSON form)."""

    scene: Scene | None
    problems: tuple[dict[str, Any], ...]


def check_file(path: Path, known_valid: set[str] | None = None) -> Checked:
    """Read and check a scene file and its models; never raises for a bad file.
    ``known_valid``: see :func:`model_problems`."""
    try:
        scene = load_scene_text(path.read_text(encoding="utf-8"), path.parent)
        found = model_problems(scene, path, known_valid)
    except (OSError, UnicodeDecodeError) as exc:
        return Checked(None, (_plain(path, f"cannot read: {exc}"),))
    except SceneError as exc:
        return Checked(None, tuple(problem_json(path, p) for p in exc.problems))
    return Checked(scene, tuple(problem_json(path, p) for p in found))


@dataclass(frozen=True)
class Bundle:
    """A built street: the bytes of each served file, and its name."""

    content_hash: str
    glb: bytes
    fallback: bytes
    manifest: bytes
    """The public manifest as canonical JSON, ``content_hash`` included."""
    answers: bytes
    stats: dict[str, int]
    images: dict[str, bytes]
    """The lessons' images by built name (``lesson-<hash>.<ext>``, as the manifest names them)."""


def bundle_scene(scene: Scene, base: Path, checked: bool = False) -> Bundle | list[str]:
    """Compile ``scene`` (its models relative to ``base``); the reasons it is over budget, or
    cannot be built, instead of a bundle. ``checked``: :func:`check_file` just validated its
    models (the validator is not run twice). Imports trimesh."""
    from srichan_world.gltf.compile import build_glb, over_budget
    from srichan_world.gltf.imported import ModelError
    from srichan_world.gltf.pack import PackError

    try:
        models = [base / lm.model for lm in scene.landmarks if lm.model] if checked else []
        result = build_glb(scene, base=base, validated=models)
    except (ModelError, PackError) as exc:
        return [str(exc)]
    stats = result.stats
    too_big = over_budget(stats, scene.budget)
    if too_big:
        return [f"over budget: {p}" for p in too_big]
    try:
        images = lesson_images(scene, base)
    except (OSError, ValueError) as exc:
        return [f"lesson image: {exc}"]
    manifest = public_manifest(scene, {path: name for path, (name, _) in images.items()})
    secret = answers(scene)
    digest = hashlib.sha256()
    for part in (result.glb, canonical_json(manifest), canonical_json(secret)):
        digest.update(hashlib.sha256(part).digest())
    content_hash = digest.hexdigest()
    manifest["content_hash"] = content_hash
    secret["content_hash"] = content_hash
    return Bundle(
        content_hash=content_hash,
        glb=result.glb,
        fallback=result.fallback,
        manifest=canonical_json(manifest),
        answers=canonical_json(secret),
        stats={
            "triangles": stats.triangles,
            "materials": stats.materials,
            "draw_calls": stats.draw_calls,
            "nodes": stats.nodes,
            "glb_bytes": stats.glb_bytes,
            "glb_gzip_bytes": stats.glb_gzip_bytes,
        },
        images=dict(images.values()),
    )


@dataclass(frozen=True)
class BuildReport:
    """:func:`build_file`'s answer: a bundle, or every problem that stopped it."""

    file: str
    problems: tuple[dict[str, Any], ...]
    bundle: Bundle | None = None
    summary: str = ""

    @property
    def ok(self) -> bool:
        return self.bundle is not None


def build_file(path: Path, known_valid: set[str] | None = None) -> BuildReport:
    """``scene check``, then ``scene build`` in memory: what a live reload switches to.
    ``known_valid``: see :func:`model_problems`."""
    checked = check_file(path, known_valid)
    if checked.scene is None or checked.problems:
        return BuildReport(str(path), checked.problems)
    built = bundle_scene(checked.scene, path.parent, checked=True)
    if isinstance(built, list):
        return BuildReport(str(path), tuple(_plain(path, p) for p in built))
    return BuildReport(str(path), (), built, summary(checked.scene))
