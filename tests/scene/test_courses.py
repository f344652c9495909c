"""Courses in the scene description: read, checked with every problem at once (path, line and
column, did-you-mean), carried in the manifest and read back by the server."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from srichan_world.scene.courses import LESSON_TEXT_MAX
from srichan_world.scene.images import IMAGE_MAX_BYTES
from srichan_world.scene.load import SceneError, load_scene_text
from srichan_world.scene.manifest import Manifest, ManifestError, public_manifest
from srichan_world.scene.model import Text

BAD_COURSE = """
[[courses]]
id = "Bad Id"
title = { th = "หลักสูตร", en = "Course" }
description = { th = "คำอธิบาย", en = "About" }
order = "orderd"
quests = ["wakl", "walk", "walk", 7]
colour = "red"

[[courses.lessons]]
id = "one"
title = { th = "บทเรียนที่หนึ่ง", en = "Lesson one" }
text = { th = "TOO_LONG", en = "Fine." }

[[courses.lessons]]
id = "one"
title = { th = "Lesson two", en = "Lesson two" }
text = { th = "เควส ของถนน", en = "" }

[[courses]]
id = "empty"
title = { th = "ว่าง", en = "Empty" }
description = { th = "ไม่มีบทเรียน", en = "No lessons" }
"""


def test_the_shipped_course_reads_and_names_real_quests() -> None:
    root = Path(__file__).parent.parent.parent / "scenes"
    scene = load_scene_text((root / "srichan.toml").read_text(encoding="utf-8"), root)
    (course,) = scene.courses
    assert course.id == "khon-kaen-studies-101" and course.title.en == "Khon Kaen Studies 101"
    assert 3 <= len(course.lessons) <= 5 and course.order == "ordered"
    assert set(course.quests) <= {q.id for q in scene.quests} and len(course.quests) == 3
    assert "14 February 2024" in course.lessons[0].text.en


def test_every_course_problem_is_reported_at_once(small_scene_text: str) -> None:
    # small.toml has courses[0]; these are courses[1] and courses[2]
    text = small_scene_text + BAD_COURSE.replace("TOO_LONG", "ก" * (LESSON_TEXT_MAX + 1))
    with pytest.raises(SceneError) as info:
        load_scene_text(text)
    reported = {p.path: p for p in info.value.problems}
    expected = {
        "courses[1].id": "must match",
        "courses[1].order": "must be one of ordered, free",
        "courses[1].colour": "unknown key",
        "courses[1].quests[0]": "unknown quest 'wakl'",
        "courses[1].quests[2]": "names quest 'walk' twice",
        "courses[1].quests[3]": "must be a quest id",
        "courses[1].lessons[0].text.th": f"longer than {LESSON_TEXT_MAX} characters",
        "courses[1].lessons[1].id": "duplicate lesson id 'one'",
        "courses[1].lessons[1].title.th": "Thai text has no Thai characters",
        "courses[1].lessons[1].text.en": "missing English text",
        "courses[1].lessons[1].text.th": "'เควส' is not the street's spelling of 'quest'",
        "courses[2].lessons": "must have 1 to 12 lessons",
    }
    for path, message in expected.items():
        assert path in reported, f"{path} not in {sorted(reported)}"
        assert message in reported[path].message, (path, reported[path].message)
    assert reported["courses[1].quests[0]"].did_you_mean == "walk"
    assert reported["courses[1].order"].did_you_mean == "ordered"
    assert reported["courses[1].lessons[1].text.th"].did_you_mean == "ภารกิจ"
    unknown = reported["courses[1].quests[0]"]
    line = text.splitlines()[unknown.line - 1]
    assert line.startswith("quests = ") and unknown.column > 0, "points at the line"


def test_courses_travel_in_the_manifest_and_back(small_scene_text: str) -> None:
    scene = load_scene_text(small_scene_text)
    document = json.loads(json.dumps(public_manifest(scene), ensure_ascii=False))
    (course,) = document["courses"]
    assert course["quests"] == ["walk"] and [x["id"] for x in course["lessons"]] == [
        "gate",
        "museum",
    ]
    assert Manifest.parse(document).courses == scene.courses
    older = {k: v for k, v in document.items() if k != "courses"}
    assert Manifest.parse(older).courses == (), "a build from before courses has none"
    course["lessons"][1]["text"] = {"th": "ไม่มีภาษาอังกฤษ"}
    with pytest.raises(ManifestError) as info:
        Manifest.parse(document)
    assert info.value.path == "courses[0].lessons[1].text.en"


def image_lesson(lesson_id: str, extra: str) -> str:
    return f"""
[[courses.lessons]]
id = "{lesson_id}"
title = {{ th = "ภาพ", en = "Picture" }}
text = {{ th = "ดูภาพ", en = "Look" }}
{extra}
"""


def test_lesson_images_are_checked_with_the_scene(small_scene_text: str, tmp_path: Path) -> None:
    alt = 'image_alt = { th = "ภาพถนน", en = "The road" }'
    (tmp_path / "text.png").write_text("not a picture")
    (tmp_path / "huge.webp").write_bytes(b"RIFF\0\0\0\0WEBP" + b"\0" * IMAGE_MAX_BYTES)
    (tmp_path / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    lessons = [
        ("missing", f'image = "nowhere.png"\n{alt}'),
        ("gif", f'image = "anim.gif"\n{alt}'),
        ("absolute", f'image = "/etc/passwd.png"\n{alt}'),
        ("text", f'image = "text.png"\n{alt}'),
        ("huge", f'image = "huge.webp"\n{alt}'),
        ("no-alt", 'image = "ok.png"'),
        ("alt-only", alt),
        ("fine", f'image = "ok.png"\n{alt}'),
    ]
    text = small_scene_text + "".join(image_lesson(i, extra) for i, extra in lessons)
    with pytest.raises(SceneError) as info:
        load_scene_text(text, tmp_path)
    reported = {p.path: p.message for p in info.value.problems}
    at = "courses[0].lessons"
    assert reported.pop(f"{at}[2].image").startswith("file not found")
    assert reported.pop(f"{at}[3].image") == "must be a .png, .jpg, .jpeg or .webp file"
    assert reported.pop(f"{at}[4].image") == "must be a path relative to the scene file"
    assert reported.pop(f"{at}[5].image") == "is not a PNG, JPEG or WebP image"
    assert reported.pop(f"{at}[6].image").endswith(f"at most {IMAGE_MAX_BYTES:,}")
    assert reported.pop(f"{at}[7].image_alt").startswith("is required with an image")
    assert reported.pop(f"{at}[8].image_alt").startswith("describes an image")
    assert reported == {}, "the fine one, and nothing else, passes"


def test_the_manifest_names_built_images_only(small_scene_text: str) -> None:
    scene = load_scene_text(small_scene_text)
    lesson = replace(scene.courses[0].lessons[0], image="a.png", image_alt=Text("ภาพ", "Pic"))
    course = replace(scene.courses[0], lessons=(lesson, *scene.courses[0].lessons[1:]))
    scene = replace(scene, courses=(course,))
    name = "lesson-0123456789abcdef.png"
    document = json.loads(json.dumps(public_manifest(scene, {"a.png": name})))
    assert document["courses"][0]["lessons"][0]["image"] == name
    parsed = Manifest.parse(document).courses[0].lessons[0]
    assert (parsed.image, parsed.image_alt) == (name, Text("ภาพ", "Pic"))
    assert "image" not in public_manifest(scene)["courses"][0]["lessons"][0], "not built: none"
    document["courses"][0]["lessons"][0]["image"] = "../srichan.answers.json"
    with pytest.raises(ManifestError) as info:
        Manifest.parse(document)
    assert info.value.path == "courses[0].lessons[0].image"
