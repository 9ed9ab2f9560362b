"""/ask returns parsed, grounded pairs; re-asks once when a reply has none; says when a reply was cut off."""

from tests.conftest import make_config
from tests.webapp.sse import parse_events
from webapp import create_app

SOURCE = ("Super Bowl 50 was played on February 7, 2016, at Levi's Stadium in Santa Clara, California. "
          "The Denver Broncos defeated the Carolina Panthers 24–10.")
REPLY = ("Here are the pairs:\n\nQuestion 1: When was Super Bowl 50 played?\nAnswer 1: February 7, 2016.\n"
         "Question 2: Who won Super Bowl 50?\nAnswer 2: The Denver Broncos won, 24–10.\n"
         "Question 3: Where was it played?\nAnswer 3: At Levi's Stadium in Santa Clara, California.\n"
         "Question 4: When was it played?\nAnswer 4: February 9, 2017.\n\nI hope these help!")


def test_pairs_are_parsed_and_grounded(client, openai_stub):
    openai_stub.replies.append(REPLY)
    body = client.post("/ask", json={"question": SOURCE, "model": "chatgpt", "max_tokens": 500}).json
    assert [p["question"] for p in body["pairs"]] == [
        "When was Super Bowl 50 played?", "Who won Super Bowl 50?", "Where was it played?", "When was it played?"]
    assert body["pairs"][3]["answer"] == "February 9, 2017."
    assert [p["grounded"] for p in body["pairs"]] == [True, True, True, False]
    first = body["pairs"][0]
    assert first["evidence"] in SOURCE and "February 7, 2016" in first["evidence"]
    assert 0 <= body["pairs"][3]["support"] < first["support"] <= 1
    assert body["notices"] == []
    assert len(openai_stub.requests) == 1


def test_chinese_reply(client, openai_stub):
    source = "长江是中国最长的河流，全长约6300公里，发源于青藏高原，最终注入东海。"
    openai_stub.replies.append("好的，以下是问答对：\n问题一：长江全长约多少公里？\n答案一：约6300公里。\n"
                               "问题二：长江注入哪里？\n答案二：黄海。")
    body = client.post("/ask", json={"question": source, "model": "chatgpt", "max_tokens": 500}).json
    assert body["language"] == "zh"
    assert [(p["answer"], p["grounded"]) for p in body["pairs"]] == [("约6300公里。", True), ("黄海。", False)]


def test_reply_without_pairs_is_reasked_once(client, openai_stub):
    openai_stub.replies += ["I think this text is about American football.", REPLY]
    r = client.post("/ask", json={"question": SOURCE, "model": "chatgpt", "max_tokens": 500, "stream": True})
    events = parse_events(r.get_data(as_text=True))
    names = [name for name, _ in events]
    assert names.count("reask") == 1 and names[-1] == "done"
    done = events[-1][1]
    assert len(done["pairs"]) == 4
    assert [n["code"] for n in done["notices"]] == ["reasked"]
    retry = openai_stub.requests[1]["messages"]
    assert retry[-2] == {"role": "assistant", "content": "I think this text is about American football."}
    assert retry[-1]["role"] == "user" and "Question 1:" in retry[-1]["content"]
    after = names.index("reask")
    assert "".join(d["text"] for n, d in events[after:] if n == "delta") == done["answer"] == REPLY


def test_no_pairs_said_plainly_when_reask_is_off(tmp_path, tiny_model_path, openai_stub):
    config = make_config(tiny_model_path, openai_stub.base_url, reask_on_empty=False,
                         prompts_db=str(tmp_path / "p.sqlite"))
    client = create_app({"TESTING": True, "QAPAIR_CONFIG": config}).test_client()
    openai_stub.replies.append("Sorry, I cannot help with that.")
    body = client.post("/ask", json={"question": SOURCE, "model": "chatgpt", "max_tokens": 500}).json
    assert body["pairs"] == []
    assert [n["code"] for n in body["notices"]] == ["no_pairs"]
    assert "No question-answer pairs" in body["notices"][0]["message"]
    assert len(openai_stub.requests) == 1


def test_cut_off_reply_is_said_plainly(client, openai_stub):
    openai_stub.replies.append(REPLY)
    body = client.post("/ask", json={"question": SOURCE, "model": "chatgpt", "max_tokens": 20}).json
    assert body["finish_reason"] == "length"
    assert [n["code"] for n in body["notices"]] == ["truncated"]
    assert "max_tokens" in body["notices"][0]["message"]
    assert body["pairs"][0]["question"] == "When was Super Bowl 50 played?"


def test_stream_done_event_carries_pairs(client, openai_stub):
    openai_stub.replies.append(REPLY)
    r = client.post("/ask", json={"question": SOURCE, "model": "chatgpt", "max_tokens": 500, "stream": True})
    name, done = parse_events(r.get_data(as_text=True))[-1]
    assert name == "done"
    assert [p["grounded"] for p in done["pairs"]] == [True, True, True, False]
