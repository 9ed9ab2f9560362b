// Under a reply: its question–answer pairs as a table with grounding badges (grounded, unsupported, unverifiable),
// the reasons in words and the evidence (highlighted in the user's text when opened), its notices,
// and the exports (copy as JSONL; download as JSON, JSONL or CSV), all built in the page.

import { $, el } from "./dom.js";
import { has, label } from "./i18n.js";

const FIELDS = ["question", "answer", "grounded", "support", "evidence"];

const clean = (pairs) => pairs.map((p) => Object.fromEntries(FIELDS.filter((f) => f in p).map((f) => [f, p[f]])));

export function toJSONL(pairs) {
  return clean(pairs).map((p) => JSON.stringify(p)).join("\n") + "\n";
}

export function toJSON(pairs) {
  return JSON.stringify(clean(pairs), null, 2) + "\n";
}

/** One CSV cell: quoted, quotes doubled, and a leading = + - @ (or tab, CR) defused so spreadsheets show text. */
function cell(value) {
  let text = value === undefined || value === null ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

/** CSV with a UTF-8 byte-order mark, so Excel reads Chinese text right. */
export function toCSV(pairs) {
  const rows = [FIELDS, ...pairs.map((p) => FIELDS.map((f) => p[f]))];
  return "\uFEFF" + rows.map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
}

const FORMATS = {
  json: [toJSON, "application/json"],
  jsonl: [toJSONL, "application/x-ndjson"],
  csv: [toCSV, "text/csv"],
};

function download(pairs, format) {
  const [build, type] = FORMATS[format];
  const url = URL.createObjectURL(new Blob([build(pairs)], { type: `${type};charset=utf-8` }));
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  const link = el("a", { href: url, download: `qa-pairs-${stamp}.${format}` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function copy(pairs, feedback) {
  try {
    await navigator.clipboard.writeText(toJSONL(pairs));
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

function table(pairs) {
  const feedback = el("span", { className: "feedback", role: "status" });
  const tools = el("div", { className: "pair-tools" },
    button("copy", () => copy(pairs, feedback), "copy-pairs"),
    label(el("span", { className: "tools-label" }), "download"),
    ...Object.keys(FORMATS).map((format) => {
      const node = el("button", { type: "button", className: "ghost small", "data-testid": `download-${format}` },
        format.toUpperCase());
      node.addEventListener("click", () => download(pairs, format));
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
  if (pairs.length) nodes.push(table(pairs));
  const notices = Array.isArray(result.notices) ? result.notices : [];
  if (notices.length) {
    nodes.push(el("ul", { className: "notices" }, notices.map((n) => {
      const item = el("li", { "data-code": n.code || "", title: n.message || "" });
      return has(n.code) ? label(item, n.code) : (item.append(n.message || n.code || ""), item);
    })));
  }
  return nodes;
}
