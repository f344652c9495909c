"""The glossary check: the scene's text uses the street's spelling of its terms."""

from __future__ import annotations

import pytest

from srichan_world.scene.glossary import GLOSSARY, glossary_problems, misspellings
from srichan_world.scene.load import SceneError, load_scene_text


def test_every_avoided_spelling_in_a_text_is_found() -> None:
    found = misspellings("สะสมโทเคนแลกโปรโมชั่นที่ร้านค้า")
    assert [(m.found, m.use) for m in found] == [("โทเคน", "โทเค็น"), ("โปรโมชั่น", "โปรโมชัน")]
    assert misspellings("สะสมโทเค็นแลกโปรโมชัน") == []


def test_no_term_avoids_its_own_spelling() -> None:
    for term in GLOSSARY.values():
        assert all(term.th not in bad for bad in term.avoid), term


def test_problems_carry_the_path_and_the_spelling_to_use() -> None:
    data = {"quiz_points": [{"choices": [{"th": "ได้ 5 โทเค็น"}, {"th": "ได้ 5 โทเคน"}]}]}
    (problem,) = glossary_problems(data)
    assert problem.path == "quiz_points[0].choices[1].th"
    assert problem.did_you_mean == "โทเค็น"


def test_scene_check_points_at_the_line_and_column(small_scene_text: str) -> None:
    text = small_scene_text.replace("พิพิธภัณฑ์เงินตรา", "พิพิธภัณฑ์เงินตรา สะสมโทเคน", 1)
    with pytest.raises(SceneError) as info:
        load_scene_text(text)
    (problem,) = info.value.problems
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "โทเคน" in row)
    assert (problem.path, problem.line, problem.item_id) == (
        "landmarks[1].description.th",
        line,
        "museum",
    )
    assert "did you mean 'โทเค็น'" in str(problem)
