// The review view: filter and page through the dataset on the server, edit a pair in place, accept or reject one
// or many (every pair that matches the filter, too), undo, see the source with its evidence, export by the server.

import { request } from "./api.js";
import { $, el } from "./dom.js";
import { downloadFrom } from "./download.js";
import { addLabels, initLanguage, label, t } from "./i18n.js";

addLabels({
  en: {
    rvFilters: "Filters", rvSearch: "Search", rvDocument: "Document", rvJob: "Job", rvStatus: "Status", rvAny: "Any",
    stNew: "new", stAccepted: "accepted", stRejected: "rejected", rvGrounding: "Grounding", unverifiable: "unverifiable",
    rvDuplicates: "Duplicates", rvOnlyDup: "only duplicates", rvNoDup: "no duplicates", rvScore: "Quality score",
    rvRated: "rated", rvUnrated: "could not be rated", rvUnjudged: "not judged", rvMin: "min", rvMax: "max",
    rvSort: "Sort", rvOldest: "oldest first", rvNewest: "newest first", rvBest: "best score", rvWorst: "worst score",
    rvLeastSupport: "least support", rvExport: "Export", rvFormat: "Format", rvProvenance: "provenance",
    rvExportGo: "Export matching", rvKeys: "Keyboard", rvKeyMove: "next / previous pair",
    rvKeyAccept: "accept (the selected, or this one)", rvKeyReject: "reject (the selected, or this one)",
    rvKeyEdit: "edit question and answer", rvKeySelect: "select or unselect", rvKeyUndo: "undo the last action",
    rvKeySource: "show the source", rvKeyEsc: "leave a filter field", rvPairs: "Pairs", rvSelPage: "page", rvSelAll: "Select all {n} matching",
    rvSelAllOn: "All {n} matching selected", rvSelected: "{n} selected", rvAccept: "Accept", rvReject: "Reject",
    rvUndo: "Undo", rvDetail: "Pair", rvNone: "No pair matches.", rvTotal: "{n} pairs", prev: "Previous",
    next: "Next", rvRange: "{from}–{to} of {total}", rvChanged: "{n} changed.", rvUndone: "Undid the last {kind} ({n}).",
    rvSaved: "Saved; grounding checked again.", rvSave: "Save", rvCancel: "Cancel", rvEdit: "Edit",
    rvSource: "Show source", rvHideSource: "Hide source", rvNoSource: "This pair has no source chunk.",
    rvDupOf: "Duplicates:", rvDupItem: "#{id} ({similarity})", rvExact: "#{id} (same text)",
    rvFacts: "{document} · {model} · job {job}", rvSupport: "support {value}", rvScoreOf: "score {value}",
    rvUnratedWhy: "unrated: {reason}", rvExporting: "Exporting…", rvExported: "Exported.",
    question: "Question", answer: "Answer",
  },
  zh: {
    rvFilters: "筛选", rvSearch: "搜索", rvDocument: "文档", rvJob: "任务", rvStatus: "状态", rvAny: "全部",
    stNew: "新", stAccepted: "已接受", stRejected: "已拒绝", rvGrounding: "依据", unverifiable: "无法核对",
    rvDuplicates: "重复", rvOnlyDup: "只看重复", rvNoDup: "不含重复", rvScore: "质量评分",
    rvRated: "已评分", rvUnrated: "无法评分", rvUnjudged: "未评分", rvMin: "最低", rvMax: "最高",
    rvSort: "排序", rvOldest: "最早", rvNewest: "最新", rvBest: "评分最高", rvWorst: "评分最低",
    rvLeastSupport: "依据最弱", rvExport: "导出", rvFormat: "格式", rvProvenance: "附来源",
    rvExportGo: "导出符合条件的", rvKeys: "快捷键", rvKeyMove: "下一个 / 上一个",
    rvKeyAccept: "接受（选中的，或当前这个）", rvKeyReject: "拒绝（选中的，或当前这个）",
    rvKeyEdit: "编辑问题和答案", rvKeySelect: "选中或取消", rvKeyUndo: "撤销上一步",
    rvKeySource: "查看原文", rvKeyEsc: "离开筛选框", rvPairs: "问答对", rvSelPage: "本页", rvSelAll: "选中全部 {n} 个符合条件的",
    rvSelAllOn: "已选中全部 {n} 个", rvSelected: "已选 {n} 个", rvAccept: "接受", rvReject: "拒绝",
    rvUndo: "撤销", rvDetail: "问答对", rvNone: "没有符合条件的问答对。", rvTotal: "{n} 个问答对", prev: "上一页",
    next: "下一页", rvRange: "第 {from}–{to} 个，共 {total} 个", rvChanged: "已修改 {n} 个。", rvUndone: "已撤销（{kind}，{n} 个）。",
    rvSaved: "已保存，并重新核对了依据。", rvSave: "保存", rvCancel: "取消", rvEdit: "编辑",
    rvSource: "查看原文", rvHideSource: "收起原文", rvNoSource: "这个问答对没有原文分块。",
    rvDupOf: "重复于：", rvDupItem: "#{id}（{similarity}）", rvExact: "#{id}（文字相同）",
    rvFacts: "{document} · {model} · 任务 {job}", rvSupport: "依据 {value}", rvScoreOf: "评分 {value}",
    rvUnratedWhy: "无法评分：{reason}", rvExporting: "正在导出……", rvExported: "已导出。",
    question: "问题", answer: "答案",
  },
});

const LIMIT = 50;
const view = { offset: 0, rows: [], total: 0, current: 0, selected: new Set(), allMatching: false, editing: false };
const VERDICT_CLASS = { grounded: "ok", unsupported: "warn", unverifiable: "muted" };
const NUMBERS = new Set(["document", "job", "score_min", "score_max"]);

/** The form's filter, typed as the API reads it (numbers, booleans), empty fields left out. */
function filter() {
  const out = {};
  for (const [key, value] of new FormData($("#filters"))) {
    if (key === "sort" || value === "") continue;
    if (NUMBERS.has(key)) out[key] = Number(value);
    else if (key === "duplicate") out[key] = value === "true";
    else out[key] = value;
  }
  return out;
}

const query = (extra = {}) => new URLSearchParams({ ...filter(), ...extra }).toString();

function say(key, args, isError = false) {
  const line = el("span", { className: isError ? "error" : "" });
  if (isError) line.textContent = key;
  else label(line, key, args);
  $("#rv-status").replaceChildren(line);
}

let loads = 0; // the newest load wins: an older answer that arrives late is dropped

async function load(keepCurrent = false) {
  const mine = ++loads;
  const page = await request("GET", `/api/pairs?${query({ sort: $("#f-sort").value, limit: LIMIT, offset: view.offset })}`);
  if (mine !== loads) return;
  if (page.data.length === 0 && view.offset > 0 && page.total > 0) { // the last page emptied: step back
    view.offset = Math.max(0, Math.floor((page.total - 1) / LIMIT) * LIMIT);
    return load(keepCurrent);
  }
  view.rows = page.data;
  view.total = page.total;
  view.current = keepCurrent ? Math.min(view.current, Math.max(0, view.rows.length - 1)) : 0;
  view.editing = false;
  render();
}

function render() {
  label($("#rv-total"), "rvTotal", { n: view.total });
  const to = Math.min(view.offset + LIMIT, view.total);
  label($("#pg-range"), "rvRange", { from: view.total ? view.offset + 1 : 0, to, total: view.total });
  $("#pg-prev").disabled = view.offset === 0;
  $("#pg-next").disabled = to >= view.total;
  $("#rv-list").replaceChildren(...view.rows.map(row));
  renderSelection();
  renderDetail();
}

function badge(pair) {
  return label(el("span", { className: `badge ${VERDICT_CLASS[pair.verdict] || "muted"}` }), pair.verdict);
}

function row(pair, index) {
  const box = el("input", { type: "checkbox", checked: view.allMatching || view.selected.has(pair.id),
    "aria-label": `#${pair.id}`, "data-testid": "sel" });
  box.addEventListener("click", (event) => { event.stopPropagation(); toggle(pair.id); });
  const side = el("span", { className: "side" }, badge(pair),
    label(el("span", { className: `st ${pair.status}`, "data-testid": "status" }), `st${pair.status[0].toUpperCase()}${pair.status.slice(1)}`),
    pair.score !== null ? label(el("span"), "rvScoreOf", { value: pair.score }) : null,
    pair.duplicate_of.length ? el("span", { className: "badge bad", title: t("rvDupOf") }, "dup") : null);
  const node = el("li", { className: `rv-row${index === view.current ? " current" : ""}`, "data-id": pair.id,
    "data-testid": "rv-row" }, box,
  el("span", {}, el("div", { className: "q" }, pair.question), el("div", { className: "a" }, pair.answer)), side);
  node.addEventListener("click", () => { view.current = index; view.editing = false; render(); });
  return node;
}

function renderSelection() {
  const count = view.allMatching ? view.total : view.selected.size;
  label($("#sel-count"), "rvSelected", { n: count });
  label($("#sel-all"), view.allMatching ? "rvSelAllOn" : "rvSelAll", { n: view.total });
  $("#sel-page").checked = view.allMatching || (view.rows.length > 0 && view.rows.every((p) => view.selected.has(p.id)));
}

function toggle(id) {
  if (view.allMatching) { // leaving "all matching": keep this page's others selected
    view.allMatching = false;
    view.rows.forEach((p) => view.selected.add(p.id));
  }
  if (view.selected.has(id)) view.selected.delete(id);
  else view.selected.add(id);
  render();
}

function field(key, text) {
  return el("div", {}, label(el("h3"), key), el("div", { className: "field", "data-testid": key }, text));
}

function renderDetail() {
  const pair = view.rows[view.current];
  const box = $("#rv-detail");
  if (!pair) {
    box.replaceChildren(label(el("p", { className: "empty" }), "rvNone"));
    return;
  }
  const facts = el("div", { className: "facts" },
    label(el("span"), "rvFacts", { document: pair.document?.name ?? "—", model: pair.model, job: pair.job ?? "—" }),
    label(el("span"), "rvSupport", { value: Number(pair.support).toFixed(2) }),
    pair.score !== null ? label(el("span", { title: pair.score_reason || "" }), "rvScoreOf", { value: pair.score }) : null,
    pair.rating === "unrated" ? el("span", { className: "error" }, pair.score_reason || "") : null);
  const dups = pair.duplicate_of.length ? el("div", {}, label(el("span"), "rvDupOf"),
    el("ul", { className: "dups", "data-testid": "dups" }, pair.duplicate_of.map((d) =>
      label(el("li"), d.exact ? "rvExact" : "rvDupItem", { id: d.id, similarity: d.similarity })))) : null;
  const sourceButton = label(el("button", { type: "button", className: "ghost small", "data-testid": "show-source" }), "rvSource");
  const source = el("div", { className: "source", "data-testid": "source", hidden: true });
  sourceButton.addEventListener("click", () => showSource(pair, source, sourceButton));
  const head = el("div", { className: "row wrap" }, badge(pair), el("span", { className: `st ${pair.status}` },
    t(`st${pair.status[0].toUpperCase()}${pair.status.slice(1)}`)), el("span", { className: "hint" }, `#${pair.id}`));
  if (view.editing) {
    const q = el("textarea", { id: "edit-q", "data-testid": "edit-question", maxLength: 20000 });
    const a = el("textarea", { id: "edit-a", "data-testid": "edit-answer", maxLength: 20000 });
    q.value = pair.question;
    a.value = pair.answer;
    const save = label(el("button", { type: "button", className: "primary small", "data-testid": "save-edit" }), "rvSave");
    const cancel = label(el("button", { type: "button", className: "ghost small" }), "rvCancel");
    save.addEventListener("click", () => saveEdit(pair, q.value, a.value));
    cancel.addEventListener("click", () => { view.editing = false; renderDetail(); });
    for (const area of [q, a]) {
      area.addEventListener("keydown", (event) => {
        if (event.key === "Escape") { view.editing = false; renderDetail(); }
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) saveEdit(pair, q.value, a.value);
      });
    }
    box.replaceChildren(head, label(el("label", { for: "edit-q" }), "question"), q,
      label(el("label", { for: "edit-a" }), "answer"), a, el("div", { className: "row" }, save, cancel));
    q.focus();
    return;
  }
  const edit = label(el("button", { type: "button", className: "ghost small" }), "rvEdit");
  edit.addEventListener("click", startEdit);
  box.replaceChildren(head, field("question", pair.question), field("answer", pair.answer), facts, dups,
    el("div", { className: "row" }, edit, sourceButton), source);
}

/** The chunk as text nodes, the evidence in a <mark>: nothing from the data is parsed as markup. */
async function showSource(pair, box, button) {
  if (!box.hidden) {
    box.hidden = true;
    label(button, "rvSource");
    return;
  }
  const src = await request("GET", `/api/pairs/${pair.id}/source`);
  if (src.chunk === null) box.replaceChildren(label(el("span", { className: "hint" }), "rvNoSource"));
  else if (!src.evidence) box.replaceChildren(src.text);
  else {
    const { start, end } = src.evidence;
    box.replaceChildren(src.text.slice(0, start), el("mark", { "data-testid": "evidence" }, src.text.slice(start, end)),
      src.text.slice(end));
  }
  box.hidden = false;
  label(button, "rvHideSource");
  box.querySelector("mark")?.scrollIntoView({ block: "nearest" });
}

function startEdit() {
  if (!view.rows[view.current]) return;
  view.editing = true;
  renderDetail();
}

async function saveEdit(pair, question, answer) {
  try {
    const updated = await request("PATCH", `/api/pairs/${pair.id}`, { question, answer });
    view.rows[view.current] = updated;
    view.editing = false;
    render();
    say("rvSaved");
  } catch (error) {
    say(error.message, {}, true);
  }
}

async function setStatus(status) {
  const pair = view.rows[view.current];
  try {
    let changed;
    if (view.allMatching) changed = (await request("POST", "/api/pairs/bulk", { filter: filter(), set: { status } })).changed;
    else if (view.selected.size) {
      changed = (await request("POST", "/api/pairs/bulk", { ids: [...view.selected], set: { status } })).changed;
    } else if (pair) {
      const before = pair.status;
      view.rows[view.current] = await request("PATCH", `/api/pairs/${pair.id}`, { status });
      changed = before === status ? 0 : 1;
      view.current = Math.min(view.current + 1, view.rows.length - 1); // on to the next pair, as a reviewer would
    } else return;
    view.selected.clear();
    view.allMatching = false;
    say("rvChanged", { n: changed });
    await load(true);
  } catch (error) {
    say(error.message, {}, true);
  }
}

async function undo() {
  try {
    const done = await request("POST", "/api/pairs/undo", {});
    say("rvUndone", { kind: done.kind, n: done.count });
    await load(true);
  } catch (error) {
    say(error.message, {}, true);
  }
}

function move(step) {
  const next = view.current + step;
  if (next >= 0 && next < view.rows.length) {
    view.current = next;
    view.editing = false;
    render();
    $(".rv-row.current")?.scrollIntoView({ block: "nearest" });
  } else if (step > 0 && view.offset + LIMIT < view.total) {
    view.offset += LIMIT;
    load();
  } else if (step < 0 && view.offset > 0) {
    view.offset = Math.max(0, view.offset - LIMIT);
    load().then(() => { view.current = view.rows.length - 1; render(); });
  }
}

const KEYS = {
  j: () => move(1), k: () => move(-1), a: () => setStatus("accepted"), r: () => setStatus("rejected"),
  e: startEdit, u: undo, x: () => view.rows[view.current] && toggle(view.rows[view.current].id),
  s: () => $("[data-testid=show-source]")?.click(),
};

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) {
    if (event.key === "Escape" && event.target.closest("#filters, .bulk")) event.target.blur(); // back to the keys
    return;
  }
  const action = KEYS[event.key];
  if (!action) return;
  event.preventDefault();
  action();
}

async function exportMatching() {
  say("rvExporting");
  try {
    const extra = { format: $("#x-format").value, provenance: $("#x-provenance").checked, sort: $("#f-sort").value };
    await downloadFrom(`/api/export?${query(extra)}`, undefined, "qa_pairs");
    say("rvExported");
  } catch (error) {
    say(error.message, {}, true);
  }
}

async function fillChoices() {
  const [{ data: formats }, documents] = await Promise.all([
    request("GET", "/api/export/formats"),
    request("GET", "/api/documents?limit=200").catch(() => ({ data: [] })),
  ]);
  $("#x-format").replaceChildren(...formats.map((f) => el("option", { value: f.name, title: f.description }, f.name)));
  $("#f-document").append(...documents.data.map((d) => el("option", { value: d.id }, d.name)));
  const wanted = new URLSearchParams(location.search);
  for (const [key, value] of wanted) {
    const input = $(`#filters [name="${CSS.escape(key)}"]`);
    if (input) input.value = value;
  }
}

function init() {
  initLanguage($("#lang-toggle"));
  let typing = null;
  $("#filters").addEventListener("input", (event) => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      view.offset = 0;
      view.selected.clear();
      view.allMatching = false;
      load().catch((error) => say(error.message, {}, true));
    }, event.target.type === "text" ? 250 : 0);
  });
  $("#filters").addEventListener("submit", (event) => event.preventDefault());
  $("#pg-prev").addEventListener("click", () => { view.offset = Math.max(0, view.offset - LIMIT); load(); });
  $("#pg-next").addEventListener("click", () => { view.offset += LIMIT; load(); });
  $("#sel-page").addEventListener("change", (event) => {
    view.allMatching = false;
    view.rows.forEach((p) => (event.target.checked ? view.selected.add(p.id) : view.selected.delete(p.id)));
    render();
  });
  $("#sel-all").addEventListener("click", () => { view.allMatching = !view.allMatching; view.selected.clear(); render(); });
  $("#b-accept").addEventListener("click", () => setStatus("accepted"));
  $("#b-reject").addEventListener("click", () => setStatus("rejected"));
  $("#b-undo").addEventListener("click", undo);
  $("#x-go").addEventListener("click", exportMatching);
  document.addEventListener("keydown", onKey);
}

init();
try {
  await fillChoices();
  await load();
} catch (error) {
  say(error.message, {}, true);
}
document.body.dataset.ready = "true";
