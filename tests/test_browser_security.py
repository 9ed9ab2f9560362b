"""Hostile text in a real browser: model replies and user text full of markup run nothing and navigate nowhere.

The app is served over HTTP with its real headers (CSP included); the OpenAI-protocol
test server answers with payloads in questions, answers and (through the passage the
user sends) in the evidence. The page must show every payload as the text it is.
Also the API token flow: a server that needs a token asks for it once.
"""

from __future__ import annotations

import pytest

from tests.browser_server import CHROMIUM, LiveServer, browser  # noqa: F401 (browser: a fixture)
from tests.conftest import make_config
from tests.helpers import wait_until
from webapp import create_app

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: install Debian's chromium")

PAYLOADS = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=2</script>",
    '<a href="javascript:window.__xss=3">click me</a>',
    "[click](javascript:window.__xss=4)",
    "<svg onload=window.__xss=5>",
    '"><iframe srcdoc="<script>parent.__xss=6</script>"></iframe>',
    "</textarea><script>window.__xss=7</script>",
    "{{constructor.constructor('window.__xss=8')()}}",
    "\u202eevil\u202c txt.exe",
    "<meta http-equiv=refresh content=\"0;url=https://evil.example\">",
    "**bold** <b onmouseover=window.__xss=9>hover</b>",
]
PASSAGE = "The river is long. " + " ".join(PAYLOADS)
REPLY = "\n".join(f"Question {i}: What is {p}?\nAnswer {i}: {p}" for i, p in enumerate(PAYLOADS, 1))


def serve(tmp_path_factory, tiny_model_path, base_url, **extra):
    config = make_config(tiny_model_path, base_url, prompts_db=str(tmp_path_factory.mktemp("db") / "p.sqlite"),
                         **extra)
    return LiveServer(create_app({"TESTING": True, "QAPAIR_CONFIG": config}))


def watched_page(browser, url, ready=True):
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 860})
    page = context.new_page()
    seen = {"dialogs": [], "errors": [], "requests": []}
    page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.goto(url)
    if ready:
        page.wait_for_selector("body[data-ready]")
    return context, page, seen


def test_payloads_in_replies_and_evidence_stay_text(browser, tmp_path_factory, tiny_model_path, openai_server):
    openai_server.reset()
    openai_server.replies.append(REPLY)
    with serve(tmp_path_factory, tiny_model_path, openai_server.base_url) as live:
        context, page, seen = watched_page(browser, live.url)
        try:
            page.select_option("#model", "chatgpt")
            page.fill("#max-tokens-num", "4000")
            page.press("#max-tokens-num", "Tab")
            page.fill("#message", PASSAGE)
            page.click("#send")
            page.wait_for_selector(".pairs table", timeout=30000)
            rows = page.locator(".pairs tbody tr")
            assert rows.count() == len(PAYLOADS)
            for summary in page.locator(".pairs summary, .raw summary").all():
                summary.click()  # open every evidence block and the raw reply
            for i, payload in enumerate(PAYLOADS):
                cells = rows.nth(i).locator("td")
                assert cells.nth(1).text_content() == f"What is {payload}?"
                assert payload in cells.nth(2).text_content()
            assert page.locator(".msg.user .text").text_content() == PASSAGE
            assert page.locator(".msg.assistant .text").text_content() == REPLY
            evidence = " ".join(page.locator(".pairs blockquote").all_text_contents())
            assert "<script>" in evidence  # the payloads reached the evidence, as text
            for markup in ("img[src=x]", "script:not([src])", "a[href^=javascript]", "svg", "iframe", "meta[http-equiv]",
                           "b[onmouseover]"):
                assert page.locator(f"#conversation {markup}").count() == 0, markup
            page.locator(".pairs td").first.hover()
            assert page.evaluate("window.__xss") is None
            assert page.url.rstrip("/") == live.url
            assert seen["dialogs"] == [] and seen["errors"] == []
            assert not [url for url in seen["requests"] if not url.startswith(live.url)]  # nothing fetched elsewhere
        finally:
            context.close()


def test_a_server_with_a_token_asks_for_it_once(browser, tmp_path_factory, tiny_model_path, openai_server):
    openai_server.reset()
    with serve(tmp_path_factory, tiny_model_path, openai_server.base_url, api_token="tok-123") as live:
        context, page, seen = watched_page(browser, live.url, ready=False)
        try:
            dialog = page.locator("[data-testid=token-dialog]")
            dialog.wait_for(state="visible")
            page.fill("[data-testid=token-input]", "wrong")
            page.click("[data-testid=token-ok]")
            wait_until(lambda: "refused" in (page.text_content(".token-title") or ""))
            page.fill("[data-testid=token-input]", "tok-123")
            page.click("[data-testid=token-ok]")
            page.wait_for_selector("body[data-ready]")
            assert page.locator("[data-testid=token-dialog]").count() == 0
            page.select_option("#model", "chatgpt")
            page.fill("#message", "The Amazon flows into the Atlantic.")
            page.click("#send")
            page.wait_for_selector(".msg.assistant .meta")
            assert openai_server.requests  # the reply came through with the token
            page.reload()  # the token is kept for the tab's session: no second question
            page.wait_for_selector("body[data-ready]")
            page.wait_for_selector("#model option[value=chatgpt]", state="attached")
            assert page.locator("[data-testid=token-dialog]").count() == 0
        finally:
            context.close()
