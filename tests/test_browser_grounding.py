"""The chat page's grounding display in a real browser: three verdict badges, reasons in words, evidence highlighted."""

from __future__ import annotations

import pytest

from tests.browser_server import CHROMIUM
from tests.helpers import wait_until
from tests.test_browser import browser, live, page  # noqa: F401 - the shared fixtures

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: install Debian's chromium")

SOURCE = ("Trinity Church was founded in 1878 by a group of merchants. Its first rector was John Hale, who served "
          "until 1901. The church was never rebuilt after the fire of 1932.")
REPLY = ("Question 1: Who was the first rector?\nAnswer 1: John Hale\n"
         "Question 2: When was Trinity Church founded?\nAnswer 2: In 1878, the oldest church in Boston.\n"
         "Question 3: Was the church rebuilt?\nAnswer 3: Yes.")


def test_badges_reasons_and_highlighted_evidence(page, openai_stub):
    openai_stub.replies = [REPLY]
    page.select_option("#model", "chatgpt")
    page.fill("#max-tokens-num", "200")
    page.dispatch_event("#max-tokens-num", "change")
    page.fill("#message", SOURCE)
    page.click("#send")
    page.wait_for_selector(".pairs table")
    rows = page.locator(".pairs tbody tr")
    assert rows.count() == 3
    badges = [rows.nth(i).locator(".badge").get_attribute("data-verdict") for i in range(3)]
    assert badges == ["grounded", "unsupported", "unverifiable"]
    assert rows.nth(2).locator(".badge").text_content() == "unverifiable"
    assert rows.nth(0).locator(".reasons li").count() == 0
    reasons = rows.nth(1).locator(".reasons li").all_text_contents()
    assert "“oldest” is not in the text" in reasons and "Boston is not in the text" in reasons
    assert rows.nth(2).locator(".reasons li").text_content() == "a yes/no answer cannot be checked against the text"

    assert page.evaluate("CSS.highlights.has('evidence')") is False
    rows.nth(0).locator(".evidence summary").click()
    wait_until(lambda: page.evaluate("CSS.highlights.has('evidence')"))
    marked = page.evaluate("[...CSS.highlights.get('evidence')][0].toString()")
    assert marked == "John Hale"
    rows.nth(0).locator(".evidence summary").click()
    wait_until(lambda: not page.evaluate("CSS.highlights.has('evidence')"))
