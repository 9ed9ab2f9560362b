"""The Train view in headless chromium: start a run on the tiny model, watch the loss chart grow, cancel; evaluate a finished run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.settings import Settings
from qa.store import Document
from tests.browser_server import CHROMIUM, LiveServer, launch_chromium
from tests.helpers import wait_until
from tests.llms.finetune_data import cmrc_pairs, local
from webapp import create_app

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: install Debian's chromium")


def source(filters):
    """The CMRC pairs as accepted pairs: no pair is `new`, so that filter selects none."""
    return [] if filters.status == "new" else cmrc_pairs()[:filters.limit]


@pytest.fixture(scope="module")
def live(tmp_path_factory, tiny_model_path):
    folder = tmp_path_factory.mktemp("train-view")
    config = Settings.model_validate({"models": {"chatglm": local(tiny_model_path, name="Tiny GLM").model_dump()},
                                      "prompts_db": str(folder / "p.sqlite")})
    app = create_app({"TESTING": True, "QAPAIR_CONFIG": config, "QAPAIR_TRAIN_DIR": str(folder / "runs"),
                      "QAPAIR_PAIR_SOURCE": source})
    with app.extensions["qapair"].db.write() as session:
        session.add(Document(name="Yangtze notes", kind="txt", chars=4, text="长江很长", chunk_size=500, chunk_overlap=0))
    with LiveServer(app) as server:
        yield server


@pytest.fixture()
def page(live):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(locale="en-US", viewport={"width": 1366, "height": 860})
        errors = []
        page.on("pageerror", lambda error: errors.append(error))
        page.goto(live.url + "/train")
        page.wait_for_selector("body[data-ready]")
        yield page
        browser.close()
        assert not errors, errors


def points(page) -> int:
    return int(page.get_attribute("#loss-chart", "data-points") or 0)


def test_models_by_name_documents_by_name_and_no_start_without_pairs(page):
    model = page.locator("#train-model option").first
    assert model.get_attribute("value") == "chatglm" and model.text_content() == "Tiny GLM"
    document = page.locator("#f-document option").nth(1)
    assert document.text_content() == "Yangtze notes" and int(document.get_attribute("value")) >= 1
    wait_until(lambda: "pairs match" in page.text_content("#train-count"), 30)
    assert f"{len(cmrc_pairs())} pairs match" in page.text_content("#train-count")
    assert page.is_enabled("#train-start")
    page.select_option("#f-status", "new")
    wait_until(lambda: page.is_disabled("#train-start"), 30)
    assert "0 pairs match" in page.text_content("#train-count")
    assert "Review view" in page.text_content("#train-count")
    page.select_option("#f-status", "accepted")
    wait_until(lambda: page.is_enabled("#train-start"), 30)


def test_start_watch_the_loss_chart_move_and_cancel(page):
    assert page.input_value("#train-model") == "chatglm"
    page.fill("#train-name", "browser")
    page.fill("#s-steps", "5000")
    page.fill("#s-lr", "0.005")
    page.click("#train-start")
    page.wait_for_selector("#run-pane:not([hidden])")
    assert "browser-" in page.text_content("#train-status")
    wait_until(lambda: points(page) >= 3, 60)
    seen = points(page)
    wait_until(lambda: points(page) > seen + 2, 60)  # the chart keeps moving while training runs
    assert "step " in page.text_content("#run-facts") and "loss" in page.text_content("#loss-range")
    axis = json.loads(page.get_attribute("#loss-chart", "data-axis"))
    assert axis["xMax"] == "5000" and int(axis["xMin"]) >= 0 and float(axis["yMin"]) <= float(axis["yMax"])
    inked = page.evaluate("""() => {  // the values are drawn: ink left of the box and under it
        const ctx = document.querySelector("#loss-chart").getContext("2d");
        const ink = (x, y, w, h) => ctx.getImageData(x, y, w, h).data.some((v, i) => i % 4 === 3 && v > 0);
        return [ink(0, 0, 50, 30), ink(0, 210, 50, 26), ink(56, 236, 80, 24), ink(540, 236, 84, 24)];
    }""")
    assert inked == [True, True, True, True]
    assert page.get_attribute("#run-pane", "data-status") == "running"
    page.click("#run-cancel")
    wait_until(lambda: page.get_attribute("#run-pane", "data-status") == "cancelled", 60)
    assert page.locator("#run-list [data-testid=run-status]").first.text_content() == "cancelled"
    assert page.is_disabled("#run-pause") and page.is_disabled("#run-cancel")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#run-delete")
    page.locator("#run-pane").wait_for(state="hidden")  # hidden for real: [hidden] beats .pane's flex
    assert page.locator("#run-list .card").count() == 0


def test_a_finished_run_is_evaluated_with_a_chart(page):
    page.fill("#train-name", "short")
    page.fill("#s-steps", "12")
    page.click("#train-start")
    wait_until(lambda: page.get_attribute("#run-pane", "data-status") == "done", 120)
    assert "chatglm+short-" in page.text_content("#run-facts")
    page.click("#run-eval")
    page.wait_for_selector("#eval-pane:not([hidden])", timeout=120_000)
    rows = page.locator("[data-testid=eval-table] tbody tr")
    assert [rows.nth(i).get_attribute("data-metric") for i in range(rows.count())] == [
        "exact_match", "token_f1", "rouge_l", "bleu_4", "grounded"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "train.png"))
