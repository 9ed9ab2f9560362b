// The review view: filter and page through the dataset on the server, edit a pair in place, accept or reject one
// or many (every pair that matches the filter, too), undo, see the source with its evidence, export by the server.

import { request } from "./api.js";
import { $, el } from "./dom.js";
import { downloadFrom } from "./download.js";
import { initLanguage, label, t } from "./i18n.js";
import "./review_labels.js";

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

/** The pair's status (new, accepted, rejected) in the page's language. */
function statusLabel(pair, attributes = {}) {
  const key = `st${pair.status[0].toUpperCase()}${pair.status.slice(1)}`;
  return label(el("span", { className: `st ${pair.status}`, ...attributes }), key);
}

function row(pair, index) {
  const box = el("input", { type: "checkbox", checked: view.allMatching || view.selected.has(pair.id),
    "aria-label": `#${pair.id}`, "data-testid": "sel" });
  box.addEventListener("click", (event) => { event.stopPropagation(); toggle(pair.id); });
  const side = el("span", { className: "side" }, badge(pair),
    statusLabel(pair, { "data-testid": "status" }),
    pair.score !== null ? label(el("span"), "rvScoreOf", { value: pair.score }) : null,
    pair.duplicate_of.length ? label(el("span", { className: "badge bad", title: t("rvDupOf") }), "rvDup") : null);
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
  const reasons = (pair.reasons || []).map((r) => (typeof r === "string" ? r : r?.message || r?.code || ""))
    .filter(Boolean);
  const why = reasons.length ? el("ul", { className: "dups", "data-testid": "reasons" }, reasons.map((r) => el("li", {}, r)))
    : null;
  const dups = pair.duplicate_of.length ? el("div", {}, label(el("span"), "rvDupOf"),
    el("ul", { className: "dups", "data-testid": "dups" }, pair.duplicate_of.map(duplicateItem))) : null;
  const sourceButton = label(el("button", { type: "button", className: "ghost small", "data-testid": "show-source" }), "rvSource");
  const source = el("div", { className: "source", "data-testid": "source", hidden: true });
  sourceButton.addEventListener("click", () => showSource(pair, source, sourceButton));
  const head = el("div", { className: "row wrap" }, badge(pair), statusLabel(pair),
    el("span", { className: "hint" }, `#${pair.id}`));
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
  box.replaceChildren(...[head, field("question", pair.question), field("answer", pair.answer), facts, why, dups,
    el("div", { className: "row" }, edit, sourceButton), source].filter(Boolean)); // replaceChildren writes null as text
}

/** One pair this one duplicates: its id and similarity; a click shows its question beside it. */
function duplicateItem(dup) {
  const button = label(el("button", { type: "button", className: "ghost small", "data-testid": "dup" }),
    dup.exact ? "rvExact" : "rvDupItem", { id: dup.id, similarity: dup.similarity });
  const item = el("li", {}, button);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const other = await request("GET", `/api/pairs/${dup.id}`);
      item.append(el("div", { className: "hint", "data-testid": "dup-question" }, other.question));
    } catch (error) {
      item.append(el("div", { className: "error" }, error.message));
    }
  }, { once: true });
  return item;
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
  if (!view.total) return say(t("rvExportNone"), {}, true);
  say("rvExporting");
  try {
    const extra = { format: $("#x-format").value, provenance: $("#x-provenance").checked,
      with_input: $("#x-input").checked, sort: $("#f-sort").value };
    await downloadFrom(`/api/export?${query(extra)}`, undefined, "qa_pairs");
    say("rvExported", { n: view.total });
  } catch (error) {
    say(error.message, {}, true);
  }
}

/** A judge job over the pairs that match: its counts (rated, and the ones it could not rate) shown as it runs. */
async function judge() {
  const model = $("#j-model").value;
  if (!model) return label($("#j-status"), "rvJudgeNone");
  try {
    let job = await request("POST", "/api/judge", { model, filter: filter() });
    while (job.status === "queued" || job.status === "running") {
      label($("#j-status"), "rvJudging", job);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      job = await request("GET", `/api/judge/${job.id}`);
    }
    label($("#j-status"), "rvJudging", job);
    await load(true);
  } catch (error) {
    $("#j-status").textContent = error.message;
  }
}

async function fillChoices() {
  const [{ data: formats }, documents, models] = await Promise.all([
    request("GET", "/api/export/formats"),
    request("GET", "/api/documents?limit=200").catch(() => ({ data: [] })),
    request("GET", "/api/models").catch(() => ({ data: [] })),
  ]);
  $("#j-model").replaceChildren(label(el("option", { value: "" }), "rvJudgeModel"),
    ...models.data.filter((m) => m.available).map((m) => el("option", { value: m.id }, m.name)));
  $("#x-format").replaceChildren(...formats.map((f) => el("option", { value: f.name, title: f.description }, f.name)));
  $("#f-document").append(...documents.data.map((d) => el("option", { value: d.id }, d.name)));
  const wanted = new URLSearchParams(location.search);
  for (const [key, value] of wanted) {
    const input = $(`#filters [name="${CSS.escape(key)}"]`);
    if (input) input.value = value;
  }
}

const PHONE = window.matchMedia("(max-width: 860px)");

/** At phone width the filters fold away behind their summary, which says how many are set. */
function foldFilters() {
  const set = [...new FormData($("#filters"))].filter(([key, value]) => key !== "sort" && value !== "").length;
  const node = $("#filters-set");
  if (set) label(node, "rvFiltersSet", { n: set });
  else { delete node.dataset.i18n; delete node.dataset.i18nArgs; node.textContent = ""; }
}

function init() {
  initLanguage($("#lang-toggle"));
  if (PHONE.matches) $("#filters-box").open = false;
  PHONE.addEventListener("change", (event) => { if (!event.matches) $("#filters-box").open = true; });
  $("#filters").addEventListener("input", foldFilters);
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
  $("#j-go").addEventListener("click", judge);
  document.addEventListener("keydown", onKey);
}

init();
try {
  await fillChoices();
  foldFilters();
  await load();
} catch (error) {
  say(error.message, {}, true);
}
document.body.dataset.ready = "true";
