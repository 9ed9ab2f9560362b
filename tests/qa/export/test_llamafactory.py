"""The dataset_info.json entry reads the exported records as they are, by LLaMA-Factory's documented rules.

`read` follows hiyouga/LLaMA-Factory data/README.md: alpaca joins the prompt and query
columns with a newline into the user turn and takes the response column; sharegpt (and
openai, which is sharegpt with other tags) reads the messages column, takes a first
message with the system tag as the system prompt, else the system column, and needs user
(or observation) turns at odd positions and assistant (or function) turns at even ones,
an even number in all.
"""

from __future__ import annotations

import json

import datasets
import pytest

from llms.errors import InvalidRequestError
from qa.export import ExportOptions, dataset_info_entry, stream_export
from tests.qa.export.conftest import PAIRS

datasets.disable_progress_bars()
SHAREGPT_TAGS = {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
                 "observation_tag": "observation", "function_tag": "function_call", "system_tag": "system"}


def read(entry: dict, example: dict) -> tuple[str, str, str]:
    """(system, user turn, assistant turn) as LLaMA-Factory's converters read one example."""
    columns = entry.get("columns", {})
    for column in columns.values():
        assert column in example, f"dataset_info names column {column!r} that the records lack"
    if entry.get("formatting", "alpaca") == "alpaca":
        prompt = [example[columns.get("prompt", "instruction")]]
        if example.get(columns.get("query", "input")):
            prompt.append(example[columns.get("query", "input")])
        response = example[columns.get("response", "output")]
        assert isinstance(response, str)
        return (example[columns["system"]] if "system" in columns else ""), "\n".join(prompt), response
    assert entry["formatting"] == "sharegpt"
    tags = SHAREGPT_TAGS | entry.get("tags", {})
    messages = example[columns.get("messages", "conversations")]
    if messages and messages[0][tags["role_tag"]] == tags["system_tag"]:
        system, messages = messages[0][tags["content_tag"]], messages[1:]
    else:
        system = example[columns["system"]] if "system" in columns else ""
    odd = (tags["user_tag"], tags["observation_tag"])
    even = (tags["assistant_tag"], tags["function_tag"])
    for turn, message in enumerate(messages):
        assert message[tags["role_tag"]] in (odd, even)[turn % 2], f"invalid role tag in {messages}"
    assert len(messages) % 2 == 0, f"invalid message count in {messages}"
    return system, messages[0][tags["content_tag"]], messages[1][tags["content_tag"]]


CASES = [(name, options) for name in ("alpaca", "sharegpt", "openai", "explain") for options in (
    ExportOptions(), ExportOptions(provenance=True), ExportOptions(system="Answer from the text.", with_input=True))]


@pytest.mark.parametrize(("name", "options"), CASES)
def test_the_entry_reads_the_records_as_they_are(tmp_path, name, options):
    path = tmp_path / f"qa_{name}.jsonl"
    path.write_bytes(b"".join(stream_export(PAIRS, name, options)))
    info = dataset_info_entry(name, path.name, "qa_pairs", system=options.system is not None)
    (tmp_path / "dataset_info.json").write_text(json.dumps(info))
    entry = json.loads((tmp_path / "dataset_info.json").read_text())["qa_pairs"]
    assert entry["file_name"] == path.name and (tmp_path / entry["file_name"]).exists()
    rows = datasets.load_dataset("json", data_files=str(tmp_path / entry["file_name"]), split="train",
                                 cache_dir=str(tmp_path / "cache")).to_list()
    for pair, row in zip(PAIRS, rows, strict=True):
        system, user, assistant = read(entry, row)
        question = pair["question"] + (f"\n{pair['chunk']}" if options.with_input and pair.get("chunk") else "")
        assert user == question
        assert assistant == (pair["answer"] if name != "explain"
                             else f" EXPLAIN: {pair.get('evidence', '')} CONCLUSION: {pair['answer']}")
        assert system == ("" if options.system is None else pair.get("system") or options.system)


def test_entries_follow_the_documented_shapes():
    assert dataset_info_entry("alpaca", "a.jsonl", "qa") == {"qa": {
        "file_name": "a.jsonl", "formatting": "alpaca",
        "columns": {"prompt": "instruction", "query": "input", "response": "output"}}}
    assert dataset_info_entry("sharegpt", "s.jsonl", "qa", system=True)["qa"]["columns"] == {
        "messages": "conversations", "system": "system"}
    assert dataset_info_entry("openai", "o.jsonl", "qa", system=True) == {"qa": {
        "file_name": "o.jsonl", "formatting": "sharegpt", "columns": {"messages": "messages"},
        "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant",
                 "system_tag": "system"}}}
    for name in ("jsonl", "csv", "chatglm", "questions"):
        with pytest.raises(InvalidRequestError):
            dataset_info_entry(name, "x", "qa")
