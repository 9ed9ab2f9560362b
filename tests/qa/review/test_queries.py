"""Review queries: every filter, sorts, pages (offset and keyset), the source chunk with evidence offsets, export rows."""

from __future__ import annotations

import pytest

from qa.review import PairFilter, catch_up, export_pairs, get_pair, list_pairs, pair_source


def ids_for(dataset, sort="id", **filters):
    with dataset["db"].session() as s:
        page, total = list_pairs(s, PairFilter(**filters), sort=sort, limit=500)
    assert total == len(page)
    return [dataset["ids"].index(p["id"]) for p in page]


@pytest.mark.parametrize("filters, expected", [
    ({}, [0, 1, 2, 3, 4]),
    ({"status": "new"}, [0, 1, 2]),
    ({"status": "accepted"}, [3]),
    ({"grounded": "true"}, [0, 2, 3]),
    ({"grounded": "false"}, [1, 4]),
    ({"grounded": "unverifiable"}, [4]),
    ({"score_min": 4}, [0]),
    ({"score_min": 2, "score_max": 4}, [2]),
    ({"rated": "unrated"}, [1]),
    ({"rated": "unjudged"}, [3, 4]),
    ({"q": "amazon"}, [0, 1, 4]),
    ({"q": "PACIFIC"}, [1]),
    ({"q": "6300"}, [2, 3]),
    ({"q": "100%_"}, []),
    ({"origin": "ask"}, []),
    ({"status": "new", "grounded": "true", "q": "长江"}, [2]),
])
def test_filters(dataset, filters, expected):
    assert ids_for(dataset, **filters) == expected


def test_document_and_job_filters(dataset):
    assert ids_for(dataset, document=dataset["document"], job=dataset["job"]) == [0, 1, 2, 3, 4]
    assert ids_for(dataset, document=dataset["document"] + 1) == []


def test_sorts(dataset):
    assert ids_for(dataset, sort="-id") == [4, 3, 2, 1, 0]
    assert ids_for(dataset, sort="-score")[:2] == [0, 2]
    assert ids_for(dataset, sort="support")[0] == 4


def test_pages_by_offset_and_keyset(dataset):
    with dataset["db"].session() as s:
        first, total = list_pairs(s, PairFilter(), limit=2)
        second, _ = list_pairs(s, PairFilter(), limit=2, offset=2)
        keyset, _ = list_pairs(s, PairFilter(), limit=2, after=first[-1]["id"])
        backwards, _ = list_pairs(s, PairFilter(), sort="-id", limit=2, after=dataset["ids"][2])
    assert total == 5 and [p["id"] for p in second] == [p["id"] for p in keyset] == dataset["ids"][2:4]
    assert [p["id"] for p in backwards] == dataset["ids"][1::-1]


def test_duplicates_are_flagged_across_the_dataset_and_filterable(dataset):
    db, ids = dataset["db"], dataset["ids"]
    assert catch_up(db) == 2
    assert catch_up(db) == 0  # nothing new
    with db.session() as s:
        cjk = get_pair(s, ids[3])
        english = get_pair(s, ids[4])
    assert cjk["duplicate_of"] == [{"id": ids[2], "similarity": 1.0, "exact": True}]
    assert english["duplicate_of"][0]["id"] == ids[0] and not english["duplicate_of"][0]["exact"]
    assert ids_for(dataset, duplicate=True) == [3, 4]
    assert ids_for(dataset, duplicate=False) == [0, 1, 2]


def test_pair_dict_and_source(dataset):
    db, ids = dataset["db"], dataset["ids"]
    with db.session() as s:
        pair = get_pair(s, ids[0])
        source = pair_source(s, ids[0])
        cjk = pair_source(s, ids[2])
        assert pair_source(s, 10**9) is None
    assert pair["document"]["name"] == "rivers.txt" and pair["rating"] == "rated" and pair["job"] == dataset["job"]
    start, end = source["evidence"]["start"], source["evidence"]["end"]
    assert source["text"][start:end] == "flows through Peru, Colombia and Brazil"
    assert cjk["text"][cjk["evidence"]["start"]:cjk["evidence"]["end"]] == "全长约6300公里"  # found in the chunk


def test_export_rows_carry_provenance(dataset):
    with dataset["db"].session() as s:
        rows = list(export_pairs(s, PairFilter(status="new")))
    assert [r["question"] for r in rows][:1] == ["Where does the Amazon River flow?"]
    first = rows[0]
    assert first["document"] == "rivers.txt" and first["prompt"] == "chatgpt_en" and first["chunk_start"] == 0
    assert first["chunk"].startswith("The Amazon") and first["grounded"] is True and first["score"] == 5.0


def test_a_deleted_original_is_not_flagged_against(dataset):
    from sqlalchemy import delete

    from qa.store import Pair
    from tests.qa.review.conftest import make_pairs

    db, ids = dataset["db"], dataset["ids"]
    catch_up(db)
    with db.write() as s:
        s.execute(delete(Pair).where(Pair.id == ids[0]))
    base = {"document_id": dataset["document"], "model": "m", "reasons": [], "verdict": "unsupported",
            "grounded": False, "support": 0.0, "evidence": ""}
    new = make_pairs(db, [{**base, "question": "Where does the Amazon River flow?", "answer": "x"}])
    catch_up(db)
    with db.session() as s:
        flagged = get_pair(s, new[0])["duplicate_of"]
    assert ids[0] not in [d["id"] for d in flagged]
