"""The review view in headless chromium: filter, page, edit in place, accept and reject with the keyboard, undo,
the source with its evidence, select all matching, and an export the server writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.review import get_pair, list_pairs, PairFilter
from tests.browser_server import CHROMIUM, LiveServer, launch_chromium
from tests.conftest import make_config
from tests.helpers import wait_until
from tests.qa.review.conftest import make_pairs, seed
from webapp import create_app

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: install Debian's chromium")
HOSTILE = '<img src=x onerror="document.body.dataset.pwned=1">'


@pytest.fixture()
def live(tmp_path, tiny_model_path, openai_server):
    config = make_config(tiny_model_path, openai_server.base_url, prompts_db=str(tmp_path / "qapair.sqlite"))
    app = create_app({"TESTING": True, "QAPAIR_CONFIG": config})
    db = app.extensions["qapair"].db
    data = seed(db)
    base = {"document_id": data["document"], "chunk_id": data["chunks"][0], "job_id": data["job"], "model": "chatgpt",
            "reasons": [], "verdict": "unsupported", "grounded": False, "support": 0.1, "evidence": ""}
    data["more"] = make_pairs(db, [{**base, "question": f"Filler question number {i} about nothing?",
                                    "answer": HOSTILE if i == 59 else f"Answer {i}."} for i in range(60)])
    with LiveServer(app) as server:
        server.db, server.data = db, data
        yield server


@pytest.fixture()
def page(live):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900}, accept_downloads=True)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(error))
        page.goto(live.url + "/review")
        page.wait_for_selector("body[data-ready]")
        yield page
        browser.close()
        assert not errors, errors


def pair(live, i):
    with live.db.session() as s:
        return get_pair(s, live.data["ids"][i])


def current_question(page):
    return page.text_content(".rv-row.current .q")


def test_review_filter_edit_keyboard_and_export(page, live, openai_stub):
    ids = live.data["ids"]
    assert page.text_content("[data-testid=rv-total]") == "65 pairs"
    assert page.text_content("[data-testid=pg-range]") == "1–50 of 65"
    for key in ("j / k", "a", "r", "e", "u"):
        assert key in page.locator("[data-testid=shortcuts] dt").all_text_contents()
    page.click("#pg-next")
    wait_until(lambda: page.text_content("[data-testid=pg-range]") == "51–65 of 65")
    assert page.locator(".rv-row .a", has_text="<img").count() == 1  # hostile text shown as text, never run
    assert page.evaluate("document.body.dataset.pwned") is None

    page.fill("[data-testid=f-q]", "amazon")
    wait_until(lambda: page.text_content("[data-testid=rv-total]") == "3 pairs")
    assert page.text_content("[data-testid=pg-range]") == "1–3 of 3"
    page.select_option("[data-testid=f-status]", "new")
    wait_until(lambda: page.text_content("[data-testid=rv-total]") == "2 pairs")
    assert current_question(page) == "Where does the Amazon River flow?"
    page.keyboard.press("Escape")  # out of the filter, back to the shortcuts
    page.keyboard.press("j")
    assert current_question(page) == "Where does the Amazon end?"
    page.keyboard.press("k")
    page.keyboard.press("j")

    # e edits in place; saving grounds the new answer again
    page.keyboard.press("e")
    page.fill("[data-testid=edit-answer]", "Into the Atlantic Ocean.")
    page.click("[data-testid=save-edit]")
    wait_until(lambda: pair(live, 1)["answer"] == "Into the Atlantic Ocean.")
    assert pair(live, 1)["verdict"] == "grounded"
    wait_until(lambda: page.locator("#rv-detail .badge").first.text_content() == "grounded")
    page.click("[data-testid=show-source]")
    assert "Atlantic Ocean" in page.text_content("[data-testid=evidence]")
    assert "null" not in page.text_content("#rv-detail")

    # each pair shows the ones it duplicates; a click shows their question
    page.select_option("[data-testid=f-status]", "")
    page.fill("[data-testid=f-q]", "长江")
    wait_until(lambda: page.text_content("[data-testid=rv-total]") == "2 pairs" and "长江" in current_question(page))
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.click("[data-testid=dup]")
    assert page.text_content("[data-testid=dup-question]") == "长江有多长？"
    page.fill("[data-testid=f-q]", "amazon")
    page.select_option("[data-testid=f-status]", "new")
    wait_until(lambda: page.text_content("[data-testid=rv-total]") == "2 pairs" and "Amazon" in current_question(page))
    page.keyboard.press("Escape")
    page.keyboard.press("j")

    # a accepts the current pair; u undoes it
    page.keyboard.press("a")
    wait_until(lambda: pair(live, 1)["status"] == "accepted")
    page.keyboard.press("u")
    wait_until(lambda: pair(live, 1)["status"] == "new")

    # r on a selection rejects many: select all that match, across pages
    page.fill("[data-testid=f-q]", "filler")
    wait_until(lambda: page.text_content("[data-testid=rv-total]") == "60 pairs")
    page.keyboard.press("Escape")
    page.click("[data-testid=sel-all]")
    assert page.text_content("[data-testid=sel-count]") == "60 selected"
    page.keyboard.press("r")
    wait_until(lambda: page.text_content("[data-testid=rv-total]") == "0 pairs")  # status=new no longer matches
    with live.db.session() as s:
        assert list_pairs(s, PairFilter(status="rejected", q="filler"))[1] == 60

    # export what matches, written by the server
    page.fill("[data-testid=f-q]", "")
    page.select_option("[data-testid=f-status]", "")
    page.select_option("[data-testid=f-grounded]", "grounded")
    wait_until(lambda: page.text_content("[data-testid=rv-total]") == "4 pairs")
    page.select_option("[data-testid=x-format]", "jsonl")
    page.check("#x-provenance")
    with page.expect_download() as download:
        page.click("[data-testid=export]")
    assert download.value.suggested_filename == "qa_pairs.jsonl"
    records = [json.loads(line) for line in Path(download.value.path()).read_text().splitlines()]
    assert len(records) == 4 and records[1]["answer"] == "Into the Atlantic Ocean."
    assert all(r["source"]["grounded"] and r["source"]["document"] == "rivers.txt" for r in records)

    # the quality score: a judge job over what matches, its counts shown as it runs
    openai_stub.replies.append("Score: 2/5, the answer is vague.")
    page.select_option("[data-testid=j-model]", "chatgpt")
    page.click("[data-testid=judge]")
    wait_until(lambda: (page.text_content("[data-testid=judge-status]") or "").startswith("done"))
    assert page.text_content("[data-testid=judge-status]") == "done: 1 rated, 0 could not be rated, of 1."
    assert pair(live, 3)["score"] == 2.0
    assert ids  # the seeded ids were used above through the rows
