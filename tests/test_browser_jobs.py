"""The documents and jobs views in a real browser, at laptop and phone sizes: upload, start a job, watch it finish;
and the chat view at phone size, where the reply must not hide behind the message box."""

from __future__ import annotations

import pytest

from tests.browser_server import CHROMIUM, LiveServer, browser  # noqa: F401 (browser: a fixture)
from tests.conftest import make_config
from tests.helpers import wait_until
from webapp import create_app

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: install Debian's chromium")

SIZES = {"laptop": {"width": 1366, "height": 860}, "phone": {"width": 390, "height": 844}}
REPLY = ("Question 1: What floods the valley?\nAnswer 1: The river floods the valley every spring.\n"
         "Question 2: What do farmers plant?\nAnswer 2: Rice.")
TEXT = "\n\n".join(f"River {i} floods the valley every spring, and the farmers of the plain plant rice after it."
                   for i in range(1, 25))


@pytest.fixture(scope="module")
def live(tmp_path_factory, tiny_model_path, openai_server):
    config = make_config(tiny_model_path, openai_server.base_url,
                         prompts_db=str(tmp_path_factory.mktemp("db") / "jobs.sqlite"), reask_on_empty=False)
    app = create_app({"TESTING": True, "QAPAIR_CONFIG": config})
    with LiveServer(app) as server:
        yield server
    app.extensions["qapair_runner"].stop()


def open_page(browser, live, size: str, path: str):
    context = browser.new_context(locale="en-US", viewport=SIZES[size])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.goto(live.url + path)
    page.wait_for_selector("body[data-ready]")
    return context, page, errors


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def drop_file(page, name: str, text: str) -> None:
    """Drop a file on the drop zone the way a desktop drag-and-drop does."""
    transfer = page.evaluate_handle("""([name, text]) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([text], name, { type: "text/plain" }));
        return transfer;
    }""", [name, text])
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})


@pytest.mark.parametrize("size", list(SIZES))
def test_upload_start_a_job_watch_it_finish(browser, live, openai_stub, size):
    openai_stub.default_reply = REPLY
    openai_stub.delay = 0.15
    context, page, errors = open_page(browser, live, size, "/documents")
    name = f"rivers-{size}.txt"
    page.fill("#chunk-size", "120")
    if size == "laptop":
        drop_file(page, name, TEXT)
    else:
        page.set_input_files("#doc-file", files=[{"name": name, "mimeType": "text/plain",
                                                  "buffer": TEXT.encode()}])
    card = page.locator("[data-testid=doc-card]", has_text=name)
    card.wait_for()
    page.wait_for_selector("[data-testid=chunk]")  # a new document opens its chunk preview
    assert "River 1 floods" in page.locator("[data-testid=chunk]").first.text_content()
    assert fits_width(page)

    card.get_by_role("link", name="Start a job").click()
    page.wait_for_selector("body[data-ready]")
    assert page.locator("#job-document option:checked").text_content().startswith(name)
    page.select_option("#job-model", "chatgpt")
    page.fill("#job-concurrency", "2")
    page.fill("#job-max-tokens", "200")
    page.click("[data-testid=job-start]")
    job = page.locator("[data-testid=job-card]").first
    job.wait_for()
    total = int(job.locator("[data-testid=job-bar]").get_attribute("aria-valuemax"))
    seen = set()

    def progressed():
        seen.add(int(job.locator("[data-testid=job-bar]").get_attribute("aria-valuenow") or 0))
        return any(0 < n < total for n in seen)

    wait_until(progressed, timeout=60)  # the bar moves while the job runs
    page.reload()  # the job goes on without the page, and the page finds it again
    page.wait_for_selector("body[data-ready]")
    job = page.locator("[data-testid=job-card]").first
    wait_until(lambda: job.get_attribute("data-status") == "done", timeout=90)
    assert job.locator("[data-testid=job-bar]").get_attribute("aria-valuenow") == str(total)
    assert f"{total} done · 0 failed" in job.locator("[data-testid=job-counts]").text_content()
    assert f"{2 * total} pairs" in job.locator("[data-testid=job-counts]").text_content()
    assert job.locator("[data-testid=job-pause]").is_hidden()
    title = job.locator(".title")  # the model by its display name, its id on hover
    assert title.text_content().endswith(" · ChatGPT") and title.get_attribute("title") == "chatgpt"
    assert fits_width(page)
    context.close()
    assert not errors, errors


@pytest.mark.parametrize("size", list(SIZES))
def test_each_view_fits_and_the_chat_reply_is_readable(browser, live, openai_stub, size):
    openai_stub.default_reply = REPLY
    for path in ("/", "/documents", "/jobs"):
        context, page, errors = open_page(browser, live, size, path)
        assert fits_width(page), path
        context.close()
        assert not errors, errors
    context, page, errors = open_page(browser, live, size, "/")
    page.select_option("#model", "chatgpt")
    page.fill("#max-tokens-num", "200")
    page.press("#max-tokens-num", "Tab")
    page.fill("#message", "River 1 floods the valley every spring, and the farmers plant rice after it.")
    page.click("#send")
    page.locator(".pairs tbody tr").nth(1).wait_for()
    # wherever the page is scrolled, the message box covers no part of a message
    for where in (0, 0.5, 1):
        hidden = page.evaluate("""(where) => {
            window.scrollTo(0, where * document.documentElement.scrollHeight);
            const box = document.querySelector("#composer").getBoundingClientRect();
            return [...document.querySelectorAll(".msg")].some((msg) => {
                const r = msg.getBoundingClientRect();
                return r.bottom > box.top + 1 && r.top < box.bottom - 1; }); }""", where)
        assert not hidden, where
    assert fits_width(page)
    context.close()
    assert not errors, errors


def test_a_refused_upload_shows_the_servers_message(browser, live):
    context, page, errors = open_page(browser, live, "laptop", "/documents")
    page.set_input_files("#doc-file", files=[{"name": "empty.txt", "mimeType": "text/plain", "buffer": b""}])
    status = page.locator("#doc-status .error")
    status.wait_for()
    assert status.text_content().startswith("empty.txt: ") and "HTTP" not in status.text_content()
    context.close()
    assert not errors, errors


def test_counts_take_the_word_for_their_number(browser, live):
    """English labels say "1 chunk" and "2 chunks" (Intl.PluralRules), not "1 chunks"."""
    context, page, errors = open_page(browser, live, "laptop", "/documents")
    for name, text in (("single-para.txt", "A single short paragraph."), ("double-para.txt", "First paragraph here.\n\n" + "x " * 1500)):
        page.set_input_files("#doc-file", files=[{"name": name, "mimeType": "text/plain", "buffer": text.encode()}])
        page.locator("[data-testid=doc-card]", has_text=name).wait_for()
    one = page.locator("[data-testid=doc-card]", has_text="single-para.txt").text_content()
    two = page.locator("[data-testid=doc-card]", has_text="double-para.txt").text_content()
    assert "1 chunk of" in one, one
    assert "2 chunks of" in two, two
    context.close()
    assert not errors, errors
