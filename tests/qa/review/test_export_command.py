"""`python -m qa export`: the dataset by the review's filters, into a file `datasets` loads, with dataset_info.json."""

from __future__ import annotations

import json

from qa.__main__ import main


def test_export_command_alpaca_with_provenance(dataset, tmp_path, capsys):
    out = tmp_path / "out" / "rivers.jsonl"
    code = main(["export", "--format", "alpaca", "--out", str(out), "--database", dataset["db"].url,
                 "--status", "new", "--provenance", "--with-input"])
    assert code == 0 and "3 pairs" in capsys.readouterr().err
    from datasets import load_dataset

    rows = load_dataset("json", data_files=str(out), split="train")
    assert rows.num_rows == 3 and rows[0]["instruction"] == "Where does the Amazon River flow?"
    assert rows[0]["input"].startswith("The Amazon") and rows[0]["source"]["document"] == "rivers.txt"
    info = json.loads((out.parent / "dataset_info.json").read_text())
    assert info["rivers"]["file_name"] == "rivers.jsonl" and info["rivers"]["formatting"] == "alpaca"


def test_export_command_filters_and_errors(dataset, tmp_path, capsys):
    out = tmp_path / "q.txt"
    assert main(["export", "--format", "questions", "--out", str(out), "--database", dataset["db"].url,
                 "--duplicate", "false", "--q", "amazon"]) == 0
    assert out.read_text(encoding="utf-8").splitlines() == ["Where does the Amazon River flow?",
                                                             "Where does the Amazon end?"]
    assert main(["export", "--format", "csv", "--out", str(out), "--database", dataset["db"].url,
                 "--score-min", "9"]) == 2
    assert "score_min" in capsys.readouterr().err
