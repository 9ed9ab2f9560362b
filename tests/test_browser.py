"""The page in a real browser: headless chromium (Playwright) against the app served over HTTP.

The app runs with the tiny local model and the OpenAI-protocol stub server, so the
conversation exercises the real /ask stream end to end; the pairs table is driven
with a `done` payload the test supplies.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from llms.config import LocalModelConfig
from tests.browser_server import CHROMIUM, LiveServer, browser  # noqa: F401 (browser: a fixture)
from tests.conftest import make_config
from tests.helpers import wait_until
from webapp import create_app

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: install Debian's chromium")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
REPLY = ("Question 1: Where does the Amazon River flow?\nAnswer 1: Through Peru, Colombia and Brazil.\n"
         "Question 2: Where does it end?\nAnswer 2: In the Atlantic Ocean.")


@pytest.fixture(scope="module")
def live(tmp_path_factory, tiny_model_path, openai_server):
    config = make_config(tiny_model_path, openai_server.base_url)
    missing = LocalModelConfig(backend="local", name="Absent GLM", model_path=str(tmp_path_factory.mktemp("none") / "x"))
    config = config.model_copy(update={"models": {**config.models, "absent": missing},
                                       "prompts_db": str(tmp_path_factory.mktemp("db") / "prompts.sqlite")})
    with LiveServer(create_app({"TESTING": True, "QAPAIR_CONFIG": config})) as server:
        yield server


@pytest.fixture()
def page(browser, live, openai_stub):
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 860}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.goto(live.url)
    page.wait_for_selector("body[data-ready]")
    yield page
    context.close()
    assert not errors, errors


def assistant_text(page, index=-1):
    return page.locator(".msg.assistant .text").nth(index).text_content()


def test_edit_settings_send_and_stream(page, openai_stub):
    assert page.input_value("#max-tokens-num") == "16"  # the app's defaults
    assert page.input_value("#temperature-num") == "0.7"
    absent = page.locator("#model option[value=absent]")
    assert absent.is_disabled() and "does not exist" in absent.get_attribute("title")
    assert "does not exist" in page.text_content("#model-notes")

    page.select_option("#model", "chatgpt")
    prompt = "You write quiz questions.\nOne pair per fact."
    page.fill("#prompt", prompt)
    assert page.input_value("#preset") == "edited"
    page.fill("#max-tokens-num", "99999")
    page.press("#max-tokens-num", "Tab")
    assert page.input_value("#max-tokens-num") == "8192"  # bounded
    page.fill("#max-tokens-num", "300")
    page.press("#max-tokens-num", "Tab")
    assert page.input_value("#max-tokens") == "300"
    page.focus("#temperature")
    page.keyboard.press("ArrowRight")
    assert page.input_value("#temperature-num") == "0.75"  # slider and number box stay in step
    page.fill("#temperature-num", "0.35")
    page.press("#temperature-num", "Tab")
    assert page.input_value("#temperature") == "0.35"

    openai_stub.replies.append(REPLY)
    openai_stub.chunk_delay = 0.04
    page.fill("#message", "The Amazon flows through Peru, Colombia and Brazil into the Atlantic.")
    page.press("#message", "Control+Enter")
    streaming = page.locator(".msg.assistant.streaming .text")
    wait_until(lambda: 0 < len(streaming.text_content(timeout=5000) or "") < len(REPLY))  # partial, on screen
    assert page.is_visible("#stop") and page.is_disabled("#send")
    page.wait_for_selector(".msg.assistant .meta")
    assert assistant_text(page) == REPLY
    assert page.is_hidden("#stop") and page.is_enabled("#send")

    sent = openai_stub.requests[-1]
    assert sent["messages"][0] == {"role": "system", "content": prompt}
    assert sent["max_tokens"] == 300 and sent["temperature"] == 0.35
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page.png"))

    page.fill("#message", "And its length?")
    page.click("#send")
    page.wait_for_selector(".msg.assistant:nth-of-type(4) .meta")
    assert [m["role"] for m in openai_stub.requests[-1]["messages"]] == ["system", "user", "assistant", "user"]
    assert openai_stub.requests[-1]["messages"][2]["content"] == REPLY

    page.click("#clear")
    assert page.locator(".msg").count() == 0


def test_stop_keeps_the_partial_reply(page, openai_stub):
    page.select_option("#model", "chatgpt")
    openai_stub.replies.append(" ".join(f"word{i}" for i in range(200)))
    openai_stub.chunk_delay = 0.05
    page.fill("#message", "A long text.")
    page.click("#send")
    wait_until(lambda: len(assistant_text(page) or "") > 10)
    page.click("#stop")
    page.wait_for_selector(".msg.assistant.stopped")
    partial = assistant_text(page)
    assert partial.startswith("word0 ") and "word199" not in partial
    assert page.text_content(".msg.assistant .tag") == "Stopped"
    assert page.is_enabled("#send") and page.is_hidden("#stop")

    page.fill("#message", "Go on.")
    page.click("#send")
    page.wait_for_selector(".msg.assistant .meta")
    assert openai_stub.requests[-1]["messages"][-2] == {"role": "assistant", "content": partial}


def test_a_reply_without_pairs_is_replaced_by_the_reask(page, openai_stub):
    page.select_option("#model", "chatgpt")
    openai_stub.replies.extend(["Sorry, I would rather chat about rivers.", REPLY])
    page.fill("#max-tokens-num", "300")
    page.fill("#message", "The Amazon flows through Peru, Colombia and Brazil into the Atlantic.")
    page.click("#send")
    page.wait_for_selector(".msg.assistant .meta")
    assert assistant_text(page) == REPLY
    assert page.locator(".pairs tbody tr").count() == 2
    assert page.locator(".notices li[data-code=reasked]").count() == 1


def test_errors_show_plainly(page, openai_stub):
    page.select_option("#model", "chatgpt")
    openai_stub.error = (401, {"error": {"message": "bad key", "type": "invalid_request_error"}})
    page.fill("#message", "Some text.")
    page.click("#send")
    page.wait_for_selector(".msg.assistant .error")
    assert "refused the API key" in page.text_content(".msg.assistant .error")
    assert page.input_value("#message") == "Some text."  # back in the box for a retry


def test_prompt_follows_model_and_language(page, openai_stub):
    page.select_option("#model", "chatglm")
    page.fill("#message", "A plain English passage about rivers.")
    assert page.input_value("#preset") == ""
    assert "chatglm_en" in page.text_content("#prompt-hint")
    page.fill("#message", "亚马逊河流经秘鲁、哥伦比亚和巴西。")
    assert "chatglm_zh" in page.text_content("#prompt-hint")
    page.select_option("#model", "chatgpt")
    assert "chatgpt_zh" in page.text_content("#prompt-hint")
    shown = page.input_value("#prompt")
    page.click("#send")
    page.wait_for_selector(".msg.assistant .meta")
    assert openai_stub.requests[-1]["messages"][0] == {"role": "system", "content": shown}  # the server agrees
    page.fill("#prompt", "")
    assert "preset for the text's language is used" in page.text_content("#prompt-hint")


def test_save_overwrite_and_delete_a_prompt(page):
    page.fill("#prompt", "Ask about dates only.")
    page.fill("#prompt-name", "Dates")
    page.click("#save-prompt")
    page.wait_for_selector("#prompt-status[data-kind=savedAs]")
    page.reload()
    page.wait_for_selector("body[data-ready]")
    saved = page.locator("#preset option", has_text="Dates")
    value = saved.get_attribute("value")
    page.select_option("#preset", value)
    assert page.input_value("#prompt") == "Ask about dates only."
    assert page.input_value("#prompt-name") == "Dates"

    page.fill("#prompt", "Ask about dates and places.")
    page.click("#save-prompt")
    page.wait_for_selector("#prompt-status[data-kind=exists]")
    page.click("#prompt-status button.primary")
    page.wait_for_selector("#prompt-status[data-kind=savedAs]")
    stored = page.evaluate(f"fetch('/api/prompts/{value}').then(r => r.json())")
    assert stored["text"] == "Ask about dates and places."

    page.click("#delete-prompt")
    page.click("#prompt-status button.danger")
    page.wait_for_selector("#prompt-status[data-kind=deleted]")
    assert page.locator("#preset option", has_text="Dates").count() == 0


def test_language_switch_is_remembered(page):
    assert page.text_content("#send") == "Send"
    page.click("#lang-toggle")
    assert page.text_content("#send") == "发送"
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.get_attribute("#message", "placeholder") == "在此粘贴文字…"
    page.reload()
    page.wait_for_selector("body[data-ready]")
    assert page.text_content("#settings-heading") == "设置"
    assert "不可用" in page.text_content("#model option[value=absent]")


PAIRS = [
    {"question": "Where does the Amazon flow?", "answer": "Through Peru, Colombia and Brazil.", "grounded": True,
     "support": 0.92, "evidence": "It flows through Peru, Colombia and Brazil"},
    {"question": "=HYPERLINK(\"x\")", "answer": "亚马逊河, \"the river\"", "grounded": False, "support": 0.1,
     "evidence": ""},
]
DONE = {"answer": "Question 1: …", "model": "chatgpt", "language": "en", "finish_reason": "stop",
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}, "pairs": PAIRS,
        "notices": [{"code": "from_the_future", "message": "A notice this page has no label for."}]}


def test_pairs_table_copy_and_downloads(page):
    body = f"event: delta\ndata: {json.dumps({'text': 'Question 1: …'})}\n\nevent: done\ndata: {json.dumps(DONE)}\n\n"
    page.route("**/ask", lambda route: route.fulfill(status=200, content_type="text/event-stream", body=body))
    page.fill("#message", "A passage.")
    page.click("#send")
    page.wait_for_selector(".pairs table")
    rows = page.locator(".pairs tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator(".badge").text_content() == "grounded"
    assert rows.nth(1).locator(".badge").text_content() == "unsupported"
    evidence = rows.nth(0).locator("details blockquote")
    assert not evidence.is_visible()
    rows.nth(0).locator("summary").click()
    assert evidence.text_content() == PAIRS[0]["evidence"]
    assert page.text_content(".notices li") == "A notice this page has no label for."

    # copy and downloads are written by the server (POST /api/export), with the passage and model as provenance
    page.click("[data-testid=copy-pairs]")
    wait_until(lambda: (page.text_content(".pair-tools .feedback") or "").startswith("Copied"))
    copied = [json.loads(line) for line in page.evaluate("navigator.clipboard.readText()").splitlines()]
    assert [(r["question"], r["answer"]) for r in copied] == [(p["question"], p["answer"]) for p in PAIRS]
    assert [(r["source"]["grounded"], r["source"]["support"]) for r in copied] == [(True, 0.92), (False, 0.1)]
    assert copied[0]["source"]["model"] == "chatgpt" and copied[0]["source"]["chunk_end"] == len("A passage.")

    with page.expect_download() as download:
        page.click("[data-testid=download-csv]")
    assert download.value.suggested_filename == "qa_pairs.csv"
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows_csv = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows_csv[0][:2] == ["question", "answer"] and "grounded" in rows_csv[0] and "support" in rows_csv[0]
    assert rows_csv[2][:2] == ["'=HYPERLINK(\"x\")", "亚马逊河, \"the river\""]
    with page.expect_download() as download:
        page.click("[data-testid=download-json]")
    records = json.loads(Path(download.value.path()).read_text())
    assert [(r["question"], r["answer"], r["source"]["grounded"]) for r in records] == [
        (p["question"], p["answer"], p["grounded"]) for p in PAIRS]
    # and kept in the dataset, with the passage as their source (the review view lists them)
    page.click("[data-testid=save-pairs]")
    wait_until(lambda: "Saved 2 pairs" in (page.text_content(".pair-tools .feedback") or ""))

    page.click("#lang-toggle")
    assert rows.nth(0).locator(".badge").text_content() == "有依据"
    assert rows.nth(1).locator(".badge").text_content() == "无依据"


def test_no_pairs_notice_and_truncation(page):
    done = {**DONE, "pairs": [], "finish_reason": "length", "notices": [{"code": "no_pairs", "message": "none"}]}
    body = f"event: done\ndata: {json.dumps(done)}\n\n"
    page.route("**/ask", lambda route: route.fulfill(status=200, content_type="text/event-stream", body=body))
    page.fill("#message", "A passage.")
    page.click("#send")
    page.wait_for_selector(".notices")
    assert page.locator(".pairs").count() == 0
    assert page.locator(".notices li").all_text_contents() == [
        "No question–answer pairs found in this reply.",
        "The reply was cut off at max_tokens: the last pair may be incomplete. Raise max_tokens."]


def test_panes_stack_on_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 800})
    prompt_box = page.locator(".prompt-pane").bounding_box()
    chat_box = page.locator(".chat-pane").bounding_box()
    assert chat_box["y"] >= prompt_box["y"] + prompt_box["height"]
    assert chat_box["width"] <= 390
