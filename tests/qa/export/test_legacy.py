"""qa.export.legacy: the chat page's JSON, JSON Lines and CSV texts, spreadsheet-safe."""

from __future__ import annotations

import csv
import io
import json

from qa.export import to_csv, to_json, to_jsonl

PAIRS = [
    {"question": "长江全长约多少公里？", "answer": "约6300公里。", "grounded": True, "support": 1.0, "evidence": "全长约6300公里"},
    {"question": 'Who said "hi, there"?', "answer": "Ada,\nthen Bob", "grounded": False, "support": 0.25,
     "evidence": ""},
    {"question": "=HYPERLINK(\"http://x\")", "answer": "-5 °C", "grounded": False, "support": 0.0,
     "evidence": "@SUM(A1)"},
    {"question": "+1?", "answer": "ok"},
]


def test_json_keeps_chinese_readable_and_round_trips():
    text = to_json(PAIRS)
    assert "长江" in text
    assert json.loads(text) == PAIRS


def test_jsonl_has_one_pair_per_line():
    lines = to_jsonl(PAIRS).splitlines()
    assert len(lines) == len(PAIRS)
    assert [json.loads(line) for line in lines] == PAIRS
    assert to_jsonl([]) == ""


def test_csv_has_header_bom_and_quotes_what_needs_it():
    text = to_csv(PAIRS)
    assert text.startswith("\ufeffquestion,answer,grounded,support,evidence\r\n")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1] == ["长江全长约多少公里？", "约6300公里。", "true", "1.0", "全长约6300公里"]
    assert rows[2] == ['Who said "hi, there"?', "Ada,\nthen Bob", "false", "0.25", ""]
    assert rows[4] == ["'+1?", "ok", "", "", ""]
    assert text.encode("utf-8").decode("utf-8-sig").startswith("question,")


def test_csv_cells_cannot_run_as_formulas():
    rows = list(csv.reader(io.StringIO(to_csv(PAIRS).lstrip("\ufeff"))))
    assert rows[3][0] == "'=HYPERLINK(\"http://x\")"
    assert rows[3][1] == "'-5 °C"
    assert rows[3][4] == "'@SUM(A1)"
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)
