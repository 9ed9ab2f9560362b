"""qa.export writers: every format written, loaded back with `datasets` and field-checked; provenance round trip."""

from __future__ import annotations

import json

import datasets
import pytest

from llms.errors import InvalidRequestError
from qa.export import FORMATS, NOT_MEASURED, SOURCE_FIELDS, ExportOptions, source, stream_export
from tests.qa.export.conftest import PAIRS

datasets.disable_progress_bars()


def exported(pairs, name: str, **options) -> bytes:
    return b"".join(stream_export(pairs, name, ExportOptions(**options)))


def records(pairs, name: str, **options) -> list[dict]:
    return [json.loads(line) for line in exported(pairs, name, **options).decode().splitlines()]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> dict[str, datasets.Dataset]:
    """Every format with provenance, written to a file and loaded with datasets.load_dataset, untouched."""
    folder = tmp_path_factory.mktemp("exports")
    out = {}
    for name, chosen in FORMATS.items():
        path = folder / f"{name}.{chosen.extension}"
        path.write_bytes(exported(PAIRS, name, provenance=True))
        builder = {"csv": "csv", "txt": "text"}.get(chosen.extension, "json")
        out[name] = datasets.load_dataset(builder, data_files=str(path), split="train",
                                          cache_dir=str(folder / "cache"))
    return out


def expected_source(pair: dict) -> dict:
    start = pair.get("chunk_start", 0)
    checked = pair.get("grounded") is not None
    return {"document": pair.get("document", ""), "chunk_start": start,
            "chunk_end": pair.get("chunk_end", start + len(pair.get("chunk", ""))),
            "model": pair.get("model", ""), "prompt": pair.get("prompt", ""), "grounded": bool(pair.get("grounded")),
            "support": float(pair["support"]) if checked else NOT_MEASURED,
            "score": NOT_MEASURED if pair.get("score") is None else float(pair["score"])}


def test_every_format_is_registered_with_a_media_type_and_extension():
    assert list(FORMATS) == ["jsonl", "json", "csv", "alpaca", "sharegpt", "openai", "chatglm", "chatglm-ptuning",
                             "explain", "questions"]
    for chosen in FORMATS.values():
        assert "/" in chosen.media_type and chosen.extension in ("jsonl", "json", "csv", "txt")
    assert {n for n, f in FORMATS.items() if f.has_dataset_info} == {"alpaca", "sharegpt", "openai", "explain"}
    with pytest.raises(InvalidRequestError) as error:
        stream_export(PAIRS, "xml")
    assert error.value.param == "format" and "alpaca" in error.value.message


@pytest.mark.parametrize("name", ["jsonl", "json"])
def test_jsonl_and_json_carry_question_answer_and_the_source(loaded, name):
    rows = loaded[name].to_list()
    assert [(r["question"], r["answer"]) for r in rows] == [(p["question"], p["answer"]) for p in PAIRS]
    assert [r["source"] for r in rows] == [expected_source(p) for p in PAIRS]
    assert set(rows[0]) == {"question", "answer", "source"}
    assert list(rows[0]["source"]) == list(SOURCE_FIELDS)


def test_json_is_valid_for_zero_one_and_many_pairs():
    assert json.loads(exported([], "json")) == []
    assert json.loads(exported(PAIRS[:1], "json")) == [{"question": PAIRS[0]["question"], "answer": PAIRS[0]["answer"]}]
    many = [{"question": f"问题{i}？", "answer": f"answer {i}"} for i in range(20000)]
    assert json.loads(exported(many, "json")) == many
    assert exported([], "jsonl") == b"" and exported([], "questions") == b""


def test_jsonl_without_provenance_has_only_question_and_answer():
    assert records(PAIRS, "jsonl") == [{"question": p["question"], "answer": p["answer"]} for p in PAIRS]


def test_csv_is_spreadsheet_safe_utf8_with_bom(loaded):
    raw = exported(PAIRS, "csv")
    assert raw.startswith("\ufeffquestion,answer\r\n".encode())
    assert "长江全长约多少公里？".encode() in raw
    rows = loaded["csv"].to_list()
    assert rows[0]["question"] == "长江全长约多少公里？" and rows[0]["answer"] == "约6300公里。"
    assert rows[1]["question"] == 'Who said "hi, there"?' and rows[1]["answer"] == "Ada,\nthen Bob"
    assert rows[2]["question"] == "'=HYPERLINK(\"http://x\")" and rows[2]["answer"] == "'-5 °C"
    assert rows[3]["question"] == "'+1?"
    for row in rows:
        assert not any(str(row[c]).startswith(("=", "+", "@")) for c in ("question", "answer"))
    # provenance as columns, numbers and booleans as such
    assert loaded["csv"].column_names == ["question", "answer", *SOURCE_FIELDS]
    assert rows[0]["chunk_start"] == 120 and rows[0]["grounded"] is True and rows[0]["score"] == 4.5
    assert rows[2]["support"] == NOT_MEASURED and rows[1]["model"] == "gpt-test"


def test_alpaca(loaded):
    rows = loaded["alpaca"].to_list()
    assert [(r["instruction"], r["input"], r["output"]) for r in rows] == [(p["question"], "", p["answer"])
                                                                          for p in PAIRS]
    assert [r["source"] for r in rows] == [expected_source(p) for p in PAIRS]
    assert "system" not in loaded["alpaca"].column_names
    with_chunk = records(PAIRS, "alpaca", with_input=True, system="You are a careful assistant.")
    assert [r["input"] for r in with_chunk] == [p.get("chunk", "") for p in PAIRS]
    assert [r["system"] for r in with_chunk] == ["You are a careful assistant."] * 3 + ["只用中文回答。"]


def test_sharegpt(loaded):
    rows = loaded["sharegpt"].to_list()
    assert [r["conversations"] for r in rows] == [[{"from": "human", "value": p["question"]},
                                                   {"from": "gpt", "value": p["answer"]}] for p in PAIRS]
    assert [r["source"] for r in rows] == [expected_source(p) for p in PAIRS]
    with_chunk = records(PAIRS, "sharegpt", with_input=True, system="")
    assert with_chunk[0]["conversations"][0]["value"] == "长江全长约多少公里？\n长江全长约6300公里，是中国第一长河。"
    assert [r["system"] for r in with_chunk] == ["", "", "", "只用中文回答。"]


def test_openai(loaded):
    rows = loaded["openai"].to_list()
    assert [r["messages"] for r in rows] == [[{"role": "user", "content": p["question"]},
                                              {"role": "assistant", "content": p["answer"]}] for p in PAIRS]
    with_system = records(PAIRS, "openai", system="Be brief.")
    assert with_system[0]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert with_system[3]["messages"][0] == {"role": "system", "content": "只用中文回答。"}
    assert [m["role"] for m in with_system[1]["messages"]] == ["system", "user", "assistant"]


def test_chatglm(loaded):
    rows = loaded["chatglm"].to_list()
    assert rows[0]["context"] == "Instruction: 长江全长约多少公里？\nAnswer: " and rows[0]["target"] == "约6300公里。"
    assert rows[1]["context"] == 'Instruction: Who said "hi, there"?\nAnswer: ' and rows[1]["target"] == "Ada,\nthen Bob"
    with_chunk = records(PAIRS, "chatglm", with_input=True)
    assert with_chunk[1]["context"] == ('Instruction: Who said "hi, there"?\n'
                                        'Input: Ada said "hi, there".\nThen Bob did.\nAnswer: ')
    assert with_chunk[3]["context"] == "Instruction: +1?\nAnswer: "  # no chunk, no Input line
    assert loaded["chatglm"].column_names == ["context", "target", "source"]


def test_chatglm_ptuning(loaded):
    rows = loaded["chatglm-ptuning"].to_list()
    assert [(r["content"], r["summary"]) for r in rows] == [(p["question"], p["answer"]) for p in PAIRS]
    assert records(PAIRS[:1], "chatglm-ptuning", with_input=True)[0]["content"] == (
        "长江全长约多少公里？\n长江全长约6300公里，是中国第一长河。")


def test_explain(loaded):
    rows = loaded["explain"].to_list()
    assert rows[0]["instruction"] == "长江全长约多少公里？"
    assert rows[0]["output"] == " EXPLAIN: 全长约6300公里 CONCLUSION: 约6300公里。"
    assert rows[2]["output"] == ' EXPLAIN: @SUM(A1) CONCLUSION: -5 °C'
    assert rows[3]["output"] == " EXPLAIN:  CONCLUSION: ok"


def test_questions_one_a_line(loaded):
    assert loaded["questions"]["text"] == [p["question"] for p in PAIRS]
    assert exported([{"question": "two\nlines", "answer": ""}], "questions") == b"two lines\n"


def test_provenance_round_trips_through_every_json_format(loaded):
    for name in ("jsonl", "json", "alpaca", "sharegpt", "openai", "chatglm", "chatglm-ptuning", "explain"):
        assert loaded[name]["source"] == [source(p) for p in PAIRS] == [expected_source(p) for p in PAIRS], name


def test_a_measure_missing_for_the_first_10_mb_still_loads(tmp_path):
    """datasets types a column by its first 10 MB: a score that only appears later must not be null before."""
    pairs = [{"question": f"问题{i}" + "长" * 200, "answer": "a", "score": None if i < 40000 else 3.0,
              "grounded": None if i < 30000 else True, "support": None if i < 30000 else 0.5}
             for i in range(41000)]
    path = tmp_path / "late.jsonl"
    path.write_bytes(exported(pairs, "jsonl", provenance=True))
    assert path.stat().st_size > 12 << 20
    dataset = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "c"))
    assert dataset[-1]["source"]["score"] == 3.0 and dataset[0]["source"]["score"] == NOT_MEASURED
