"""Review actions: edits re-grounded and re-checked for duplicates, status of one or many, undo, /ask pairs saved."""

from __future__ import annotations

import pytest

from qa.review import (NothingToUndo, PairFilter, catch_up, edit_pair, get_pair, pair_source, reflag, save_ask_pairs,
                       set_status, undo_last)


def pair(dataset, i):
    with dataset["db"].session() as s:
        return get_pair(s, dataset["ids"][i])


def test_edit_regrounds_and_undo_restores(dataset):
    db, ids = dataset["db"], dataset["ids"]
    before = pair(dataset, 1)
    assert edit_pair(db, ids[1], answer="Into the Atlantic Ocean.") == (True, False)
    after = pair(dataset, 1)
    assert after["verdict"] == "grounded" and after["grounded"] and after["support"] > before["support"]
    with db.session() as s:
        source = pair_source(s, ids[1])
    assert "Atlantic Ocean" in source["text"][source["evidence"]["start"]:source["evidence"]["end"]]
    assert after["evidence_start"] == source["chunk_start"] + source["evidence"]["start"]
    undone = undo_last(db)
    assert undone["kind"] == "edit" and undone["ids"] == [ids[1]]
    restored = pair(dataset, 1)
    assert {k: restored[k] for k in ("answer", "verdict", "support", "evidence")} == {
        k: before[k] for k in ("answer", "verdict", "support", "evidence")}


def test_edit_of_a_missing_pair_and_a_no_op(dataset):
    db = dataset["db"]
    assert edit_pair(db, 10**9, answer="x") == (False, False)
    assert edit_pair(db, dataset["ids"][0], answer=pair(dataset, 0)["answer"]) == (True, False)
    with pytest.raises(NothingToUndo):
        undo_last(db)  # nothing changed, nothing logged


def test_bulk_by_ids_and_by_filter_then_undo_in_order(dataset):
    db, ids = dataset["db"], dataset["ids"]
    assert set_status(db, "accepted", ids=[ids[0], ids[3], 10**9]) == 1  # ids[3] already accepted, 10**9 absent
    assert set_status(db, "rejected", where=PairFilter(grounded="false", status="new")) == 1  # pair 1
    assert [pair(dataset, i)["status"] for i in range(5)] == ["accepted", "rejected", "new", "accepted", "rejected"]
    assert undo_last(db)["count"] == 1
    assert pair(dataset, 1)["status"] == "new"
    undo_last(db)
    assert [pair(dataset, i)["status"] for i in range(5)] == ["new", "new", "new", "accepted", "rejected"]
    with pytest.raises(NothingToUndo):
        undo_last(db)


def test_bulk_over_many_ids_is_batched(dataset):
    db, ids = dataset["db"], dataset["ids"]
    assert set_status(db, "rejected", ids=list(range(1, 5000)) + ids) == 4


def test_edited_question_is_rechecked_for_duplicates(dataset):
    db, ids = dataset["db"], dataset["ids"]
    catch_up(db)
    assert [d["id"] for d in pair(dataset, 3)["duplicate_of"]] == [ids[2]]
    edit_pair(db, ids[2], question="亚马逊河流经哪些国家？")
    reflag(db, [ids[2]])
    assert pair(dataset, 3)["duplicate_of"] == []  # its original changed: no longer a duplicate
    assert pair(dataset, 2)["duplicate_of"] == []
    edit_pair(db, ids[0], question="长江有多长")  # now the same text as pair 3 (ids[2] changed away)
    reflag(db, [ids[0]])
    assert [d["id"] for d in pair(dataset, 0)["duplicate_of"]] == [ids[3]]


def test_ask_pairs_saved_with_provenance(dataset):
    db = dataset["db"]
    passage = "Mount Everest is 8,849 metres high."
    new = save_ask_pairs(db, passage=passage, model="chatgpt", pairs=[
        {"question": "How high is Everest?", "answer": "8,849 metres."},
        {"question": "How high is Everest really?", "answer": "9,000 metres."}], prompt="You write quizzes.")
    again = save_ask_pairs(db, passage=passage, model="chatgpt", pairs=[{"question": "Q?", "answer": "8,849"}])
    with db.session() as s:
        first, second, third = (get_pair(s, i) for i in (*new, *again))
        source = pair_source(s, new[0])
    assert first["origin"] == "ask" and first["verdict"] == "grounded" and second["verdict"] == "unsupported"
    assert first["document"]["name"].startswith("ask: Mount Everest") and third["document"] == first["document"]
    assert source["text"] == passage and passage[source["evidence"]["start"]:].startswith("8,849")
    with db.session() as s:
        from qa.review import list_pairs
        assert list_pairs(s, PairFilter(origin="ask"))[1] == 3
