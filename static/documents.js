// The documents view: drag-and-drop or pick files (or paste text) to add documents, list them, preview their chunks.

import { authFetch, errorFrom, request } from "./api.js";
import { $, el } from "./dom.js";
import { addLabels, initLanguage, label, t } from "./i18n.js";

addLabels({
  en: {
    docAdd: "Add a document", docDrop: "Drop .txt, .md, .pdf or .docx files here, or click to choose",
    docPaste: "…or paste text", docName: "Name", docText: "Text", docAddText: "Add text",
    chunkSize: "Chunk size", chunkOverlap: "Overlap", docList: "Documents", docNone: "No documents yet.",
    chunkPreview: "Chunks", rechunk: "Re-chunk", prev: "Previous", next: "Next",
    docFacts: "{kind} · {chars} characters · {chunks} {chunks|chunk|chunks} of ≤{size}", docPages: " · {pages} {pages|page|pages}",
    uploading: "Reading {name}…", added: "Added {name}: {chunks} {chunks|chunk|chunks}.", docFailed: "{name}: {detail}",
    preview: "Preview", startJob: "Start a job", confirmDocDelete: "Delete “{name}” with its jobs and pairs?",
    chunkRange: "{from}–{to} of {total}", offsets: "characters {start}–{end}", needNameText: "Give a name and some text.",
    rechunked: "Re-chunked: {chunks} {chunks|chunk|chunks}.",
    chunkBounds: "Chunk size must be {size} characters and overlap {overlap}; fix the number and try again.",
  },
  zh: {
    docAdd: "添加文档", docDrop: "将 .txt、.md、.pdf 或 .docx 文件拖到这里，或点击选择",
    docPaste: "……或粘贴文本", docName: "名称", docText: "文本", docAddText: "添加文本",
    chunkSize: "分块大小", chunkOverlap: "重叠", docList: "文档", docNone: "还没有文档。",
    chunkPreview: "分块", rechunk: "重新分块", prev: "上一页", next: "下一页",
    docFacts: "{kind} · {chars} 字符 · {chunks} 块（每块 ≤{size}）", docPages: " · {pages} 页",
    uploading: "正在读取 {name}……", added: "已添加 {name}：{chunks} 块。", docFailed: "{name}：{detail}",
    preview: "预览", startJob: "开始任务", confirmDocDelete: "删除“{name}”及其任务和问答对？",
    chunkRange: "第 {from}–{to} 块，共 {total} 块", offsets: "字符 {start}–{end}", needNameText: "请填写名称和文本。",
    rechunked: "已重新分块：{chunks} 块。",
    chunkBounds: "分块大小须在 {size} 字符之间，重叠须在 {overlap} 之间；请修改数字后重试。",
  },
});

const PAGE = 20;
let selected = null; // {id, name, chunks, chunk_size, chunk_overlap}
let chunkOffset = 0;

function status(key, args, isError = false) {
  const line = label(el("span", { className: isError ? "error" : "" }), key, args);
  $("#doc-status").replaceChildren(line);
}

function chunkOptions(sizeInput, overlapInput) {
  for (const input of [sizeInput, overlapInput]) {  // say the bounds instead of the server's bare validation text
    const { badInput, rangeOverflow, rangeUnderflow } = input.validity;
    if (badInput || rangeOverflow || rangeUnderflow) {
      input.focus();
      throw new Error(t("chunkBounds", { size: `${sizeInput.min}–${sizeInput.max}`, overlap: `${overlapInput.min}–${overlapInput.max}` }));
    }
  }
  const out = {};
  if (sizeInput.value) out.chunk_size = Number(sizeInput.value);
  if (overlapInput.value !== "") out.chunk_overlap = Number(overlapInput.value);
  return out;
}

async function upload(file) {
  status("uploading", { name: file.name });
  const form = new FormData();
  form.append("file", file);
  for (const [key, value] of Object.entries(chunkOptions($("#chunk-size"), $("#chunk-overlap")))) form.append(key, value);
  const response = await authFetch("/api/documents", { method: "POST", body: form, headers: { Accept: "application/json" } });
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

async function addAll(files) {
  for (const file of files) {
    try {
      const doc = await upload(file);
      status("added", { name: doc.name, chunks: doc.chunks });
      await refresh(doc.id);
    } catch (error) {
      status("docFailed", { name: file.name, detail: error.message }, true);
    }
  }
}

function card(doc) {
  const facts = t("docFacts", { kind: doc.kind, chars: doc.chars, chunks: doc.chunks, size: doc.chunk_size })
    + (doc.pages ? t("docPages", { pages: doc.pages }) : "");
  const preview = label(el("button", { type: "button", className: "small" }), "preview");
  preview.addEventListener("click", () => select(doc));
  const remove = label(el("button", { type: "button", className: "small ghost danger" }), "delete");
  remove.addEventListener("click", async () => {
    if (!confirm(t("confirmDocDelete", { name: doc.name }))) return;
    try {
      await request("DELETE", `/api/documents/${doc.id}`);
      if (selected?.id === doc.id) select(null);
      await refresh();
    } catch (error) {
      status("docFailed", { name: doc.name, detail: error.message }, true);
    }
  });
  const job = label(el("a", { href: `/jobs?document=${doc.id}`, className: "small" }), "startJob");
  return el("li", { className: `card${selected?.id === doc.id ? " selected" : ""}`, "data-testid": "doc-card",
    "data-id": doc.id },
  el("span", { className: "title" }, doc.name), el("span", { className: "facts" }, facts),
  ...doc.warnings.map((w) => el("p", { className: "warn" }, w)),
  el("div", { className: "row" }, preview, job, remove));
}

async function refresh(selectId) {
  const { data, defaults } = await request("GET", "/api/documents?limit=200");
  if (!$("#chunk-size").value) $("#chunk-size").value = defaults.chunk_size;
  if ($("#chunk-overlap").value === "") $("#chunk-overlap").value = defaults.chunk_overlap;
  const pick = data.find((d) => d.id === (selectId ?? selected?.id));
  if (pick) selected = pick;
  $("#doc-list").replaceChildren(...data.map(card));
  $("#doc-empty").hidden = data.length > 0;
  if (selectId && pick) await select(pick);
}

async function select(doc) {
  selected = doc;
  $("#chunk-pane").hidden = !doc;
  for (const node of document.querySelectorAll(".card")) node.classList.toggle("selected", Number(node.dataset.id) === doc?.id);
  if (!doc) return;
  $("#chunk-title").textContent = doc.name;
  $("#rechunk-size").value = doc.chunk_size;
  $("#rechunk-overlap").value = doc.chunk_overlap;
  chunkOffset = 0;
  await showChunks();
}

async function showChunks() {
  const page = await request("GET", `/api/documents/${selected.id}/chunks?offset=${chunkOffset}&limit=${PAGE}`);
  $("#chunk-list").start = chunkOffset + 1;
  $("#chunk-list").replaceChildren(...page.data.map((c) => el("li", { "data-testid": "chunk" },
    label(el("span", { className: "offsets" }), "offsets", { start: c.start, end: c.end }), c.text)));
  const to = Math.min(chunkOffset + PAGE, page.total);
  label($("#chunk-range"), "chunkRange", { from: page.total ? chunkOffset + 1 : 0, to, total: page.total });
  $("#chunk-prev").disabled = chunkOffset === 0;
  $("#chunk-next").disabled = to >= page.total;
}

function initDrop() {
  const drop = $("#drop");
  for (const kind of ["dragenter", "dragover"]) {
    drop.addEventListener(kind, (event) => { event.preventDefault(); drop.classList.add("over"); });
  }
  for (const kind of ["dragleave", "drop"]) drop.addEventListener(kind, () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => { event.preventDefault(); addAll([...event.dataTransfer.files]); });
  $("#doc-file").addEventListener("change", (event) => { addAll([...event.target.files]); event.target.value = ""; });
  $("#doc-paste-add").addEventListener("click", async () => {
    const name = $("#doc-name").value.trim();
    const text = $("#doc-text").value;
    if (!name || !text.trim()) return status("needNameText", {}, true);
    try {
      const doc = await request("POST", "/api/documents", { name, text, ...chunkOptions($("#chunk-size"), $("#chunk-overlap")) });
      status("added", { name: doc.name, chunks: doc.chunks });
      $("#doc-text").value = "";
      await refresh(doc.id);
    } catch (error) {
      status("docFailed", { name, detail: error.message }, true);
    }
  });
}

function initChunks() {
  $("#chunk-prev").addEventListener("click", () => { chunkOffset = Math.max(0, chunkOffset - PAGE); showChunks(); });
  $("#chunk-next").addEventListener("click", () => { chunkOffset += PAGE; showChunks(); });
  $("#rechunk").addEventListener("click", async () => {
    try {
      const doc = await request("PATCH", `/api/documents/${selected.id}`,
        chunkOptions($("#rechunk-size"), $("#rechunk-overlap")));
      status("rechunked", { chunks: doc.chunks });
      await refresh(doc.id);
    } catch (error) {
      status("docFailed", { name: selected.name, detail: error.message }, true);
    }
  });
}

initLanguage($("#lang-toggle"));
initDrop();
initChunks();
await refresh().catch((error) => status("docFailed", { name: "", detail: error.message }, true));
document.body.dataset.ready = "true";
