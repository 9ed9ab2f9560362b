"""The work views at phone width (390×844) in headless chromium: panes stack, labels stay beside their fields."""

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
