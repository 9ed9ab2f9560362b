// The middle pane: the conversation, the message box, Send (button or Ctrl/⌘+Enter), Stop and Clear.
// Each request carries the earlier turns as `history`; replies stream in as the server sends them.

import { ApiError, streamAsk } from "./api.js";
import { $, el } from "./dom.js";
import { label } from "./i18n.js";
import { resultNodes } from "./pairs.js";
import { promptFor, setText } from "./prompts.js";
import { currentModel, generationOptions } from "./settings.js";

const HISTORY_MAX = 50; // turns; the server refuses more

const log = $("#conversation");
const box = $("#message");

let history = [];
let controller = null;
let epoch = 0; // bumped by Clear, so a reply finishing afterwards leaves the new conversation alone

function nearBottom() {
  return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
}


/** Append a message and bring it into view (new messages come from the user's own Send). */
function addMessage(role, who, text) {
  const whoNode = role === "user" ? label(el("span", { className: "who" }), "you") : el("span", { className: "who" }, who);
  const node = el("article", { className: `msg ${role}`, "data-testid": `msg-${role}` },
    el("header", {}, whoNode),
    el("div", { className: "text" }, text));
  $(".empty", log)?.remove();
  log.append(node);
  log.scrollTop = log.scrollHeight;
  return node;
}

function tag(reply, key, className) {
  $("header", reply).append(label(el("span", { className: `tag ${className}` }), key));
}

function finish(reply, result) {
  const notices = Array.isArray(result.notices) ? [...result.notices] : [];
  if (result.finish_reason === "length" && !notices.some((n) => n.code === "truncated")) {
    notices.push({ code: "truncated", message: "" });
  }
  const usage = result.usage || {};
  if (usage.completion_tokens !== undefined) {
    const meta = label(el("span", { className: "meta", title: JSON.stringify(usage) }), "usage",
      { tokens: usage.completion_tokens });
    $("header", reply).append(meta);
  }
  if (Array.isArray(result.pairs) && result.pairs.length) {
    // The table says it all; the reply as written stays one click away.
    const text = $(".text", reply);
    const raw = el("details", { className: "raw" }, label(el("summary"), "replyText"));
    text.replaceWith(raw);
    raw.append(text);
  }
  reply.append(...resultNodes({ ...result, notices }));
}

function fail(reply, error) {
  reply.classList.add("failed");
  tag(reply, "failed", "bad");
  const text = $(".text", reply);
  if (!text.textContent) text.remove();
  const line = el("p", { className: "error", role: "alert" });
  if (error instanceof ApiError && error.type === "incomplete") label(line, "incomplete");
  else if (error instanceof ApiError) line.textContent = error.message;
  else label(line, "unreachable", { detail: error.message });
  reply.append(line);
}

function setBusy(busy) {
  $("#send").disabled = busy;
  $("#stop").hidden = !busy;
  log.setAttribute("aria-busy", String(busy));
}

async function send() {
  const question = box.value;
  if (!question.trim() || controller) return;
  const body = { question, prompt: promptFor(question), ...generationOptions(), history: history.slice(-HISTORY_MAX) };
  addMessage("user", "", question);
  const reply = addMessage("assistant", currentModel()?.name ?? body.model, "");
  const text = $(".text", reply);
  reply.classList.add("streaming");
  box.value = "";
  const mine = epoch;
  controller = new AbortController();
  setBusy(true);
  let answer = "";
  const shown = text.appendChild(document.createTextNode("")); // grows by each piece, not rewritten
  try {
    const result = await streamAsk(body, {
      signal: controller.signal,
      onDelta: (piece) => {
        const follow = nearBottom(); // a reader who scrolled up is left where they are
        answer += piece;
        shown.appendData(piece);
        if (follow) log.scrollTop = log.scrollHeight;
      },
      onReask: (notice) => {
        answer = "";
        shown.data = "";
        text.before(el("p", { className: "reask" }, notice));
      },
    });
    answer = result.answer ?? answer;
    text.textContent = answer;
    $(".reask", reply)?.remove(); // the result's notices say it again
    finish(reply, { ...result, passage: question });
  } catch (error) {
    if (error.name === "AbortError") {
      reply.classList.add("stopped");
      tag(reply, "stopped", "muted");
    } else {
      fail(reply, error);
      if (!answer && !box.value) box.value = question; // back in the box, ready to retry
    }
  } finally {
    reply.classList.remove("streaming");
    controller = null;
    setBusy(false);
  }
  if (answer && mine === epoch) history.push({ role: "user", content: question }, { role: "assistant", content: answer });
}

function clear() {
  controller?.abort();
  epoch += 1;
  history = [];
  log.replaceChildren(label(el("p", { className: "empty" }), "emptyChat"));
  box.focus();
}

export function initChat() {
  $("#composer").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      send();
    }
  });
  box.addEventListener("input", () => setText(box.value));
  $("#stop").addEventListener("click", () => controller?.abort());
  $("#clear").addEventListener("click", clear);
}
