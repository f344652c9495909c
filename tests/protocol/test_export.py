"""The browser's protocol.js is generated and committed; it must match the Python tables."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from srichan_world.protocol.codes import FEATURE_OF, PROTOCOL_VERSION, ErrorCode, MsgType
from srichan_world.protocol.limits import BOOTH_RATES, BOOTH_REACH_M, MAX_FRAME_BYTES
from tools import export_protocol

ROOT = Path(__file__).resolve().parents[2]


def test_committed_protocol_js_equals_generator_output() -> None:
    committed = (ROOT / "server" / "web" / "protocol.js").read_text(encoding="utf-8")
    assert committed == export_protocol.render(), "run: python -m tools.export_protocol"


def test_check_flag_reports_a_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "protocol.js"
    assert export_protocol.main(["--out", str(out)]) == 0
    assert export_protocol.main(["--check", "--out", str(out)]) == 0
    out.write_text(out.read_text() + "// edited\n")
    assert export_protocol.main(["--check", "--out", str(out)]) == 1


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_imports_the_module_with_the_same_values() -> None:
    script = (
        f"import('{ROOT / 'server' / 'web' / 'protocol.js'}').then(m => console.log(JSON.stringify("
        "{v: m.PROTOCOL_VERSION, t: m.MsgType, e: m.ErrorCode, l: m.LIMITS, f: m.FIELDS,"
        " b: m.BOOTH_RATES, o: m.FEATURE_OF})))"
    )
    out = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, check=True, timeout=30
    )
    tables = json.loads(out.stdout)
    assert tables["v"] == PROTOCOL_VERSION
    assert tables["t"] == {m.name: m.value for m in MsgType}
    assert tables["e"] == {m.name: m.value for m in ErrorCode}
    assert tables["l"]["MAX_FRAME_BYTES"] == MAX_FRAME_BYTES
    assert tables["f"][str(int(MsgType.MOVE))] == ["x", "z", "heading", "anim"]
    assert tables["l"]["BOOTH_REACH_M"] == BOOTH_REACH_M
    assert tables["b"] == {k: {"rate": r.rate, "burst": r.burst} for k, r in BOOTH_RATES.items()}
    assert tables["o"] == {str(int(t)): str(f) for t, f in FEATURE_OF.items()}


def test_every_message_type_belongs_to_one_feature() -> None:
    assert set(FEATURE_OF) == set(MsgType)


def test_the_browser_keeps_no_copy_of_a_rule_constant() -> None:
    """Reach, rates and features come from protocol.js, never as numbers in the client."""
    client = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "server/web/js").glob("*.js"))
    assert re.search(r"BOOTH_REACH_M = LIMITS\.BOOTH_REACH_M\b", client)
    assert not re.search(r"type\s*[<>]=?\s*MsgType\.", client), "classify types by FEATURE_OF"


def test_protocol_doc_names_every_code_and_field() -> None:
    doc = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    assert re.search(rf"Protocol version\D*{PROTOCOL_VERSION}", doc)
    for table in (MsgType, ErrorCode):
        for member in table:
            assert re.search(rf"\b{member.name.lower()}\b", doc), f"{member.name} undocumented"
    from srichan_world.protocol.fields import spec_of
    from srichan_world.protocol.messages import MESSAGES

    for cls in MESSAGES.values():
        for name, _ in spec_of(cls):
            assert f"`{name}`" in doc, f"{cls.__name__}.{name} undocumented"
