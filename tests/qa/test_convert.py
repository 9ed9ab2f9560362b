"""`python -m qa convert`: alpaca to ChatGLM context/target, plain and in the explanation format, through the export writers."""

from __future__ import annotations

import json

from llms.finetune.data import read_examples
from qa.__main__ import main

RECORDS = [
    {"instruction": "长江有多长？", "input": "长江全长约6300公里。", "output": "约6300公里", "explanation": "原文说全长约6300公里。"},
    {"instruction": "What is it?", "input": "", "output": " EXPLAIN: the text says a fox. CONCLUSION: A fox."},
]


def convert(tmp_path, *flags, array=False):
    source = tmp_path / ("alpaca.json" if array else "alpaca.jsonl")
    source.write_text(json.dumps(RECORDS, ensure_ascii=False) if array else
                      "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["convert", str(source), str(out), *flags]) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()], out


def test_alpaca_to_chatglm_context_target(tmp_path):
    records, out = convert(tmp_path)
    assert records == [
        {"context": "Instruction: 长江有多长？\nInput: 长江全长约6300公里。\nAnswer: ", "target": "约6300公里"},
        {"context": "Instruction: What is it?\nAnswer: ", "target": "A fox."},  # only the conclusion
    ]
    assert [e.answer for e in read_examples(out)] == ["约6300公里", "A fox."]


def test_alpaca_to_chatglm_in_the_explanation_format(tmp_path):
    records, _ = convert(tmp_path, "--explain", array=True)
    assert [r["target"] for r in records] == [" EXPLAIN: 原文说全长约6300公里。 CONCLUSION: 约6300公里",
                                             " EXPLAIN: the text says a fox. CONCLUSION: A fox."]


def test_other_targets_and_bad_input(tmp_path, capsys):
    records, _ = convert(tmp_path, "--to", "sharegpt")
    assert records[0]["conversations"][1] == {"from": "gpt", "value": "约6300公里"}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "q"}\n', encoding="utf-8")
    assert main(["convert", str(bad), str(tmp_path / "x.jsonl")]) == 2
    assert "output" in capsys.readouterr().err
