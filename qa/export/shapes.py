"""One record per pair in each export shape: plain question/answer, and the fine-tuning shapes.

alpaca, sharegpt and openai follow LLaMA-Factory's data/README.md, so the entry that
`dataset_info_entry` writes reads the records as they are: alpaca's `instruction`,
`input`, `output` and optional `system`; sharegpt's `conversations` with a human turn
then a gpt turn (`from`/`value`) and optional `system`; openai's `messages` with an
optional system message first, then user and assistant (`role`/`content`), which is also
GLM-4's fine-tuning format. chatglm is the ChatGLM-6B fine-tuning JSONL
(`context` = "Instruction: …\\n[Input: …\\n]Answer: ", `target`, as ChatGLM-Tuning's
converter writes it); chatglm-ptuning is P-Tuning v2's `content`/`summary`; explain is
alpaca with `output` = " EXPLAIN: " + evidence + " CONCLUSION: " + answer.
"""

from __future__ import annotations

from qa.export.records import ExportOptions, ExportPair, input_of, prompt_with_input, system_of


def plain(pair: ExportPair, options: ExportOptions) -> dict:
    return {"question": pair["question"], "answer": pair["answer"]}


def alpaca(pair: ExportPair, options: ExportOptions) -> dict:
    record = {"instruction": pair["question"], "input": input_of(pair, options), "output": pair["answer"]}
    return _with_system(record, pair, options)


def explain(pair: ExportPair, options: ExportOptions) -> dict:
    output = " EXPLAIN: " + (pair.get("evidence") or "") + " CONCLUSION: " + pair["answer"]
    record = {"instruction": pair["question"], "input": input_of(pair, options), "output": output}
    return _with_system(record, pair, options)


def sharegpt(pair: ExportPair, options: ExportOptions) -> dict:
    record = {"conversations": [{"from": "human", "value": prompt_with_input(pair, options)},
                                {"from": "gpt", "value": pair["answer"]}]}
    return _with_system(record, pair, options)


def openai(pair: ExportPair, options: ExportOptions) -> dict:
    messages = [{"role": "user", "content": prompt_with_input(pair, options)},
                {"role": "assistant", "content": pair["answer"]}]
    if system := system_of(pair, options):  # an empty system prompt is left out, as OpenAI's format allows
        messages.insert(0, {"role": "system", "content": system})
    return {"messages": messages}


def chatglm(pair: ExportPair, options: ExportOptions) -> dict:
    chunk = input_of(pair, options)
    context = f"Instruction: {pair['question']}\n" + (f"Input: {chunk}\n" if chunk else "") + "Answer: "
    return {"context": context, "target": pair["answer"]}


def chatglm_ptuning(pair: ExportPair, options: ExportOptions) -> dict:
    return {"content": prompt_with_input(pair, options), "summary": pair["answer"]}


def _with_system(record: dict, pair: ExportPair, options: ExportOptions) -> dict:
    system = system_of(pair, options)
    if system is not None:
        record["system"] = system
    return record
