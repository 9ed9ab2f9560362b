"""Retake the README's screenshot, docs/screenshot.png: `.venv/bin/python -m tests.screenshot`.

The real app answers through the OpenAI-protocol stub server, which replies with
the pairs a capable model would write about the passage below; one answer is not
in the passage, so the page shows both badges.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from qa.settings import Settings
from tests.browser_server import LiveServer, launch_chromium
from tests.openai_server import OpenAIServer
from webapp import create_app

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshot.png"
PASSAGE = ("Marie Curie was born in Warsaw in 1867. She moved to Paris in 1891 to study physics and mathematics "
           "at the Sorbonne. In 1903 she shared the Nobel Prize in Physics with Pierre Curie and Henri Becquerel "
           "for their work on radioactivity. In 1911 she won a second Nobel Prize, in Chemistry, for discovering "
           "the elements polonium and radium.")
REPLY = """Question 1: Where and when was Marie Curie born?
Answer 1: In Warsaw, in 1867.
Question 2: Why did she move to Paris in 1891?
Answer 2: To study physics and mathematics at the Sorbonne.
Question 3: Who shared the 1903 Nobel Prize in Physics with her?
Answer 3: Pierre Curie and Henri Becquerel.
Question 4: What was her second Nobel Prize for?
Answer 4: For discovering the elements polonium and radium.
Question 5: Which university gave her an honorary doctorate?
Answer 5: The University of Geneva."""


def main() -> None:
    stub = OpenAIServer().start()
    stub.replies.append(REPLY)
    config = Settings.model_validate({
        "models": {
            "chatgpt": {"backend": "openai", "name": "ChatGPT (gpt-4o-mini)", "base_url": stub.base_url,
                        "api_key": "screenshot", "max_retries": 0},
            "chatglm": {"backend": "local", "name": "ChatGLM (GLM-Edge 1.5B chat)"},
        },
        "prompts_db": str(Path(tempfile.mkdtemp()) / "prompts.sqlite"),
    })
    try:
        with LiveServer(create_app({"QAPAIR_CONFIG": config})) as live, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="en-US")
            page.goto(live.url)
            page.wait_for_selector("body[data-ready]")
            page.fill("#temperature-num", "0.3")
            page.press("#temperature-num", "Tab")
            page.fill("#message", PASSAGE)
            page.click("#send")
            page.wait_for_selector(".pairs table")
            page.locator(".pairs summary").first.click()
            page.locator("#message").blur()
            OUT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(OUT))
            browser.close()
    finally:
        stub.stop()
    print(f"{OUT} ({OUT.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
