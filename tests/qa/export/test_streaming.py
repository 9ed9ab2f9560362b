"""Exports stream: output comes before the input is exhausted, in bounded chunks; files and zips are complete."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

import pytest

from llms.errors import InvalidRequestError
from qa.export import (DATASET_INFO, FORMATS, ExportOptions, dataset_info_entry, default_file_name, export_zip,
                       stream_export, write_export)
from tests.qa.export.conftest import PAIRS

MANY = 1_000_000


class Counting:
    """A generator of MANY pairs that counts how many were taken."""

    def __init__(self):
        self.taken = 0

    def __iter__(self):
        for i in range(MANY):
            self.taken += 1
            yield {"question": f"第{i}个问题是什么？ Question {i}?", "answer": f"答案 {i}", "evidence": "证据",
                   "chunk": "上下文 " * 20, "document": "doc.txt", "chunk_start": i, "chunk_end": i + 60,
                   "model": "glm-4", "prompt": "qa-zh", "grounded": True, "support": 0.9, "score": 4.0}


@pytest.mark.parametrize("name", list(FORMATS))
def test_output_comes_before_the_input_is_exhausted(name):
    source = Counting()
    stream = stream_export(source, name, ExportOptions(provenance=True, with_input=True))
    first, second = next(stream), next(stream)
    assert source.taken < 5000  # a few 64 KiB chunks' worth, not the million
    assert 0 < len(first) < 1 << 18 and 0 < len(second) < 1 << 18
    stream.close()


def test_the_zip_streams_too():
    source = Counting()
    stream = export_zip(source, "alpaca")
    sent = 0
    while sent < 1 << 16:  # zip bytes go out while a fraction of the pairs is read
        sent += len(next(stream))
    assert source.taken < MANY // 20
    stream.close()


def test_memory_stays_bounded():
    pairs = ({"question": f"问题{i}？", "answer": "答" * 500} for i in range(20_000))
    tracemalloc.start()
    written = sum(len(chunk) for chunk in stream_export(pairs, "json"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert written > 28 << 20
    assert peak < 2 << 20  # a few chunks, not the 30 MB written


def test_write_export_writes_the_file_and_dataset_info(tmp_path):
    existing = {"alpaca_en_demo": {"file_name": "alpaca_en_demo.json"}}
    (tmp_path / DATASET_INFO).write_text(json.dumps(existing))
    written = write_export(PAIRS, "sharegpt", tmp_path / "qa.jsonl", ExportOptions(system=""))
    assert written == [tmp_path / "qa.jsonl", tmp_path / DATASET_INFO]
    assert (tmp_path / "qa.jsonl").read_bytes() == b"".join(stream_export(PAIRS, "sharegpt", ExportOptions(system="")))
    info = json.loads((tmp_path / DATASET_INFO).read_text())
    assert info == existing | dataset_info_entry("sharegpt", "qa.jsonl", "qa", system=True)
    write_export(PAIRS, "openai", tmp_path / "glm.jsonl", dataset_name="glm4_sft")
    assert set(json.loads((tmp_path / DATASET_INFO).read_text())) == {"alpaca_en_demo", "qa", "glm4_sft"}
    assert write_export(PAIRS, "csv", tmp_path / "sheet.csv") == [tmp_path / "sheet.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [DATASET_INFO, "glm.jsonl", "qa.jsonl", "sheet.csv"]


def test_write_export_leaves_a_broken_dataset_info_and_writes_nothing(tmp_path):
    (tmp_path / DATASET_INFO).write_text("{not json")
    with pytest.raises(InvalidRequestError, match="dataset_info.json"):
        write_export(PAIRS, "alpaca", tmp_path / "qa.jsonl")
    assert sorted(p.name for p in tmp_path.iterdir()) == [DATASET_INFO]
    with pytest.raises(InvalidRequestError):
        write_export(PAIRS, "yaml", tmp_path / "qa.yaml")


def test_a_failed_export_leaves_no_partial_file(tmp_path):
    def broken():
        yield PAIRS[0]
        raise RuntimeError("database went away")
    with pytest.raises(RuntimeError):
        write_export(broken(), "jsonl", tmp_path / "qa.jsonl")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["openai", "csv"])
def test_zip_holds_the_export_and_its_dataset_info(name):
    data = b"".join(export_zip(PAIRS, name, ExportOptions(provenance=True), dataset_name="qa"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        file_name = default_file_name(name)
        assert archive.read(file_name) == b"".join(stream_export(PAIRS, name, ExportOptions(provenance=True)))
        if FORMATS[name].has_dataset_info:
            assert archive.namelist() == [file_name, DATASET_INFO]
            assert json.loads(archive.read(DATASET_INFO)) == dataset_info_entry(name, file_name, "qa")
        else:
            assert archive.namelist() == [file_name]


def test_default_file_names():
    assert default_file_name("jsonl") == "qa_pairs.jsonl"
    assert default_file_name("chatglm-ptuning") == "qa_pairs_chatglm_ptuning.jsonl"
    assert default_file_name("questions") == "qa_pairs_questions.txt"
