"""`python -m qa train`: the dataset's accepted pairs, filtered, train an adapter on the tiny model; a rerun resumes."""

from __future__ import annotations

import json

from llms.finetune.runs import read_state
from qa.__main__ import main
from qa.store import Pair, open_database
from tests.llms.finetune_data import cmrc_pairs, local


def test_train_on_accepted_pairs_of_the_database(tmp_path, tiny_model_path, capsys):
    url = f"sqlite:///{tmp_path / 'qa.sqlite'}"
    db = open_database(url)
    with db.write() as session:
        for n, pair in enumerate(cmrc_pairs(12)):
            session.add(Pair(question=pair["question"], answer=pair["answer"], model="chatgpt",
                             status="accepted" if n < 8 else "new"))
    config = tmp_path / "cfg.json"
    config.write_text(json.dumps({"models": {"chatglm": local(tiny_model_path).model_dump()}, "database_url": url}))
    args = ["train", "--config", str(config), "--out", str(tmp_path / "run"), "--max-steps", "6", "--rank", "4",
            "--eval-share", "0.25"]
    assert main(args) == 0
    state = read_state(tmp_path / "run")
    assert state["status"] == "done" and state["train_examples"] == 6 and state["eval_examples"] == 2
    assert "8 pairs match" in capsys.readouterr().err
    assert json.loads((tmp_path / "run" / "data" / "train.jsonl").read_text().splitlines()[0])["messages"][0]["role"] == "user"
    assert main(args) == 0 and read_state(tmp_path / "run")["updated"] == state["updated"]  # done: left as it is
    assert main(["train", "--config", str(config), "--out", str(tmp_path / "none"), "--status", "rejected"]) == 2
