// Under a reply: its question–answer pairs as a table with grounding badges (grounded, unsupported, unverifiable),
// the reasons in words and the evidence (highlighted in the user's text when opened), its notices,
// and the exports (copy as JSONL; download as JSON, JSONL or CSV), written by the server (POST /api/export).

import { $, el } from "./dom.js";
import { downloadFrom, textFrom } from "./download.js";
import { request } from "./api.js";
import { addLabels, has, label } from "./i18n.js";

addLabels({
  en: { saveToDataset: "Save to dataset", savedToDataset: "Saved {n} pairs to the dataset (Review)." },
  zh: { saveToDataset: "存入数据集", savedToDataset: "已将 {n} 个问答对存入数据集（审阅）。" },
});

const FORMATS = ["json", "jsonl", "csv"];

/** The body of POST /api/export for these pairs: the server writes every export format, the page none. */
function exportBody(result, pairs, format) {
  const fields = ["question", "answer", "grounded", "support", "evidence"];
  return {
    format,
    pairs: pairs.map((p) => Object.fromEntries(fields.filter((f) => p[f] !== undefined).map((f) => [f, p[f]]))),
    chunk: typeof result.passage === "string" ? result.passage.slice(0, 100000) : "",
    model: typeof result.model === "string" ? result.model.slice(0, 100) : "",
  };
}

async function download(result, pairs, format, feedback) {
  try {
    await downloadFrom("/api/export", exportBody(result, pairs, format), `qa_pairs.${format}`);
  } catch (error) {
    feedback.textContent = error.message;
  }
}

/** Keep these pairs in the dataset (origin "ask"), with the passage as their source; the Review view shows them. */
async function save(result, pairs, feedback, node) {
  try {
    node.disabled = true;
    const body = { passage: result.passage, model: result.model,
      pairs: pairs.slice(0, 500).map((p) => ({ question: p.question, answer: p.answer })) };
    const saved = await request("POST", "/api/pairs", body);
    label(feedback, "savedToDataset", { n: saved.data.length });
  } catch (error) {
    node.disabled = false;
    feedback.textContent = error.message;
  }
}

async function copy(result, pairs, feedback) {
  try {
    await navigator.clipboard.writeText(await textFrom("/api/export", exportBody(result, pairs, "jsonl")));
    label(feedback, "copied", { n: pairs.length });
  } catch (error) {
    label(feedback, "copyFailed", { detail: error.message });
  }
}

function button(key, onClick, testid) {
  const node = label(el("button", { type: "button", className: "ghost small", "data-testid": testid }), key);
  node.addEventListener("click", onClick);
  return node;
}

// The three grounding verdicts and their badge styles; results without `verdict` fall back on `grounded`.
const STATES = { grounded: "ok", unsupported: "warn", unverifiable: "muted" };
const verdictOf = (pair) => (pair.verdict in STATES ? pair.verdict : pair.grounded === true ? "grounded" : "unsupported");

/** Python counts code points, the DOM counts UTF-16 units: the DOM offset of code point `count` in `text`. */
function utf16(text, count) {
  let at = 0;
  for (let n = 0; n < count && at < text.length; n += 1) at += text.codePointAt(at) > 0xffff ? 2 : 1;
  return at;
}

/** Mark the pair's evidence in the user's text above the reply (a DOM Range in a CSS highlight), or clear it. */
function highlight(node, pair, on) {
  if (!globalThis.CSS?.highlights || typeof Highlight === "undefined") return;
  if (!on) return void CSS.highlights.delete("evidence");
  const source = node.closest(".msg")?.previousElementSibling;
  const text = source?.matches(".msg.user") ? $(".text", source)?.firstChild : null;
  if (!text || text.nodeType !== Node.TEXT_NODE || typeof pair.evidence_start !== "number") return;
  const range = new Range();
  range.setStart(text, Math.min(utf16(text.data, pair.evidence_start), text.data.length));
  range.setEnd(text, Math.min(utf16(text.data, pair.evidence_end), text.data.length));
  if (range.toString() === pair.evidence) CSS.highlights.set("evidence", new Highlight(range));
}

function row(pair, index) {
  const verdict = verdictOf(pair);
  const badge = label(el("span", { className: `badge ${STATES[verdict]}`, "data-verdict": verdict }), verdict);
  const support = typeof pair.support === "number" ? pair.support.toFixed(2) : null;
  const reasons = Array.isArray(pair.reasons) && pair.reasons.length
    ? el("ul", { className: "reasons" }, pair.reasons.map((r) => el("li", { "data-code": r?.code ?? "" }, r?.message ?? "")))
    : null;
  let evidence = null;
  if (pair.evidence) {
    evidence = el("details", { className: "evidence" }, label(el("summary"), "evidence"), el("blockquote", {}, pair.evidence));
    evidence.addEventListener("toggle", () => highlight(evidence, pair, evidence.open));
  }
  return el("tr", { className: verdict },
    el("td", { className: "num" }, String(index + 1)),
    el("td", {}, pair.question ?? ""),
    el("td", {}, el("div", {}, pair.answer ?? ""), evidence),
    el("td", { className: "state" }, badge,
      support === null ? null : label(el("span", { className: "support" }), "support", { value: support }), reasons),
  );
}

function table(result, pairs) {
  const feedback = el("span", { className: "feedback", role: "status" });
  const tools = el("div", { className: "pair-tools" },
    button("copy", () => copy(result, pairs, feedback), "copy-pairs"),
    typeof result.passage === "string" && result.passage
      ? button("saveToDataset", (event) => save(result, pairs, feedback, event.currentTarget), "save-pairs") : null,
    label(el("span", { className: "tools-label" }), "download"),
    ...FORMATS.map((format) => {
      const node = el("button", { type: "button", className: "ghost small", "data-testid": `download-${format}` },
        format.toUpperCase());
      node.addEventListener("click", () => download(result, pairs, format, feedback));
      return node;
    }),
    feedback,
  );
  const head = el("tr", {}, el("th", { scope: "col" }, "#"),
    ...["question", "answer", "status"].map((key) => label(el("th", { scope: "col" }), key)));
  return el("div", { className: "pairs" },
    el("table", {},
      label(el("caption"), "pairsCaption", { n: pairs.length }),
      el("thead", {}, head),
      el("tbody", {}, pairs.map(row))),
    tools);
}

/** The pairs and notices of a `done` result, as nodes to put under the reply (either may be absent). */
export function resultNodes(result) {
  const nodes = [];
  const pairs = Array.isArray(result.pairs) ? result.pairs : [];
  if (pairs.length) nodes.push(table(result, pairs));
  const notices = Array.isArray(result.notices) ? result.notices : [];
  if (notices.length) {
    nodes.push(el("ul", { className: "notices" }, notices.map((n) => {
      const item = el("li", { "data-code": n.code || "", title: n.message || "" });
      return has(n.code) ? label(item, n.code) : (item.append(n.message || n.code || ""), item);
    })));
  }
  return nodes;
}
