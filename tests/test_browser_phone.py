"""The views at phone width (390×844) in headless chromium: layout, and messages that say what to do."""

from __future__ import annotations

import pytest

from tests.browser_server import CHROMIUM, LiveServer, launch_chromium
from tests.conftest import make_config
from webapp import create_app

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: install Debian's chromium")


@pytest.fixture(scope="module")
def live(tmp_path_factory, tiny_model_path, openai_server):
    config = make_config(tiny_model_path, openai_server.base_url,
                         prompts_db=str(tmp_path_factory.mktemp("db") / "qapair.sqlite"))
    with LiveServer(create_app({"TESTING": True, "QAPAIR_CONFIG": config})) as server:
        yield server


@pytest.fixture()
def phone(live):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(error))
        yield page
        browser.close()
        assert not errors, errors


def open_view(page, url):
    page.goto(url)
    page.wait_for_selector("body[data-ready]")


def test_review_panes_stack_on_a_phone(phone, live):
    open_view(phone, live.url + "/review")
    panes = [phone.locator("main.work > section.pane").nth(i).bounding_box() for i in range(3)]
    for box in panes:  # each pane takes the full width, one above the other (not three slivers side by side)
        assert box["width"] > 330, panes
    assert panes[0]["y"] + panes[0]["height"] <= panes[1]["y"] and panes[1]["y"] + panes[1]["height"] <= panes[2]["y"]


@pytest.mark.parametrize("view, field", [("/documents", "chunk-overlap"), ("/documents", "rechunk-overlap"),
                                         ("/jobs", "job-temperature"), ("/jobs", "job-concurrency")])
def test_labels_stay_beside_their_fields(phone, live, view, field):
    open_view(phone, live.url + view)
    if view == "/documents" and field == "rechunk-overlap":
        phone.evaluate("document.querySelector('#chunk-pane').hidden = false")
    label, box = phone.locator(f"label[for={field}]").bounding_box(), phone.locator(f"#{field}").bounding_box()
    assert label["x"] + label["width"] <= box["x"]  # the label on the field's left
    assert box["y"] < label["y"] + label["height"] / 2 < box["y"] + box["height"]  # on the same line


def test_out_of_range_chunk_size_says_the_bounds(phone, live):
    open_view(phone, live.url + "/documents")
    phone.fill("#chunk-size", "10")
    phone.click("#drop summary, details.paste summary")
    phone.fill("#doc-name", "notes")
    phone.fill("#doc-text", "The Nile flows north. " * 10)
    phone.click("#doc-paste-add")
    phone.wait_for_selector("#doc-status .error")
    message = phone.text_content("#doc-status")
    assert "50–100000" in message and "greater than" not in message  # the bounds, not pydantic's bare text
    assert phone.locator("#doc-list .card").count() == 0  # nothing was sent


def test_review_filters_fold_away_on_a_phone(phone, live):
    open_view(phone, live.url + "/review")
    assert phone.locator("#f-q").is_hidden() and phone.locator("#x-go").is_hidden()
    assert phone.locator("#pairs-heading").bounding_box()["y"] < 844 / 2  # the pairs in the top half, not screens down
    phone.click("[data-testid=filters-toggle]")
    phone.fill("#f-q", "Nile")
    phone.select_option("#f-status", "accepted")
    assert phone.text_content("#filters-set") == "2 set"  # the summary says filters are on
    phone.click("[data-testid=filters-toggle]")
    assert phone.locator("#f-q").is_hidden() and phone.locator("[data-testid=filters-set]").is_visible()
    phone.set_viewport_size({"width": 1366, "height": 860})  # a wide window shows them, without the toggle
    phone.locator("#f-q").wait_for(state="visible")  # the media query's change event comes when the browser sends it
    assert phone.locator("[data-testid=filters-toggle]").is_hidden()
    open_view(phone, live.url + "/review")
    phone.locator("#f-q").wait_for(state="visible")
    assert phone.locator("[data-testid=filters-toggle]").is_hidden()


def test_export_with_no_matching_pair_says_so(phone, live):
    open_view(phone, live.url + "/review")
    phone.wait_for_selector("#rv-total:not(:empty)")
    phone.click("[data-testid=filters-toggle]")
    phone.fill("#f-q", "no pair says this")
    phone.press("#f-q", "Enter")
    phone.wait_for_function("document.querySelector('#rv-total').textContent.startsWith('0')")
    phone.click("#x-go")
    phone.wait_for_selector("#rv-status .error")
    assert "nothing to export" in phone.text_content("#rv-status")


def test_model_notes_follow_the_chosen_model(phone, live):
    open_view(phone, live.url + "/")
    visible = lambda: [li.get_attribute("data-model") or li.get_attribute("data-model-dtype")  # noqa: E731
                       for li in phone.locator("#model-notes li:visible").all()]
    phone.select_option("#model", "chatglm")
    assert visible() and set(visible()) == {"chatglm"}  # the tiny model's notes (load, dtype)
    phone.select_option("#model", "chatgpt")
    assert "chatglm" not in visible()


@pytest.mark.parametrize("view, pane", [("/train", "#run-pane"), ("/documents", "#chunk-pane")])
def test_a_hidden_pane_is_not_drawn(phone, live, view, pane):
    open_view(phone, live.url + view)
    assert phone.locator(pane).get_attribute("hidden") is not None  # nothing chosen yet
    assert phone.locator(pane).is_hidden()  # .pane's display:flex must not override [hidden]
