// Under a reply: its question–answer pairs as a table with grounding badges and evidence, its notices,
// and the exports (copy as JSONL; download as JSON, JSONL or CSV), written by the server (POST /api/export).

import { el } from "./dom.js";
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

function row(pair, index) {
  const grounded = pair.grounded === true;
  const badge = label(el("span", { className: `badge ${grounded ? "ok" : "warn"}` }), grounded ? "grounded" : "unsupported");
  const support = typeof pair.support === "number" ? pair.support.toFixed(2) : null;
  const evidence = pair.evidence
    ? el("details", { className: "evidence" }, label(el("summary"), "evidence"), el("blockquote", {}, pair.evidence))
    : null;
  return el("tr", { className: grounded ? "grounded" : "unsupported" },
    el("td", { className: "num" }, String(index + 1)),
    el("td", {}, pair.question ?? ""),
    el("td", {}, el("div", {}, pair.answer ?? ""), evidence),
    el("td", { className: "state" }, badge,
      support === null ? null : label(el("span", { className: "support" }), "support", { value: support })),
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
