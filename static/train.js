// The train view: start LoRA training on the dataset's pairs, follow runs (live loss chart), pause, cancel, resume, evaluate.

import { request } from "./api.js";
import { $, el } from "./dom.js";
import { addLabels, initLanguage, label, t } from "./i18n.js";

addLabels({
  en: {
    trainStart: "Train an adapter", trainBase: "Base model", trainName: "Run name", trainPairs: "Pairs",
    trainStatus: "Status", stAccepted: "accepted", stNew: "new", stAny: "any", trainDocument: "Document", trainAnyDoc: "any",
    trainMinScore: "Min. score", trainGrounded: "Grounded pairs only", trainWithInput: "Source chunk in the prompt",
    trainSettings: "Settings", trainEpochs: "Epochs", trainMaxSteps: "Max. steps", trainLr: "Learning rate",
    trainRank: "LoRA rank", trainBatch: "Batch size", trainGo: "Start training", trainRuns: "Runs",
    trainNone: "No training runs yet.", trainRun: "Run", trainLoss: "training loss", evalLoss: "eval loss",
    lossChart: "Loss curve", evalChart: "Metrics, base and adapter", pause: "Pause", resume: "Resume",
    cancel: "Cancel", evaluate: "Evaluate", remove: "Delete", confirmRemove: "Delete the run {id} and its adapter?",
    evalHeading: "Base vs adapter", metric: "Metric", base: "Base",
    adapter: "Adapter", started: "Started {id} on {pairs} pairs.", trainFailed: "{detail}",
    runFacts: "step {step}/{total} · epoch {epoch} · loss {loss} · eval loss {eval} · {speed} tokens/s · ETA {eta}",
    evaluating: "Evaluating…", served: "Served as {model}", lossRange: "loss {min}–{max}",
    st_running: "running", st_paused: "paused", st_cancelled: "cancelled", st_failed: "failed", st_done: "done",
    st_interrupted: "interrupted",
    pairsMatch: "{n} pairs match", pairsCapped: "{n} or more pairs match",
    pairsTooFew: "{n} {n|pair matches|pairs match}; training needs at least 2: accept pairs in the Review view, or loosen these filters.",
  },
  zh: {
    trainStart: "训练适配器", trainBase: "基础模型", trainName: "运行名称", trainPairs: "问答对",
    trainStatus: "状态", stAccepted: "已接受", stNew: "新", stAny: "全部", trainDocument: "文档", trainAnyDoc: "全部",
    trainMinScore: "最低评分", trainGrounded: "仅有依据的问答对", trainWithInput: "提示中包含原文分块",
    trainSettings: "设置", trainEpochs: "轮数", trainMaxSteps: "最多步数", trainLr: "学习率",
    trainRank: "LoRA 秩", trainBatch: "批大小", trainGo: "开始训练", trainRuns: "训练记录",
    trainNone: "还没有训练。", trainRun: "训练", trainLoss: "训练损失", evalLoss: "验证损失",
    lossChart: "损失曲线", evalChart: "指标：基础模型与适配器", pause: "暂停", resume: "继续",
    cancel: "取消", evaluate: "评估", remove: "删除", confirmRemove: "删除训练 {id} 及其适配器？",
    evalHeading: "基础模型与适配器对比", metric: "指标", base: "基础模型",
    adapter: "适配器", started: "已开始 {id}，共 {pairs} 个问答对。", trainFailed: "{detail}",
    runFacts: "第 {step}/{total} 步 · 第 {epoch} 轮 · 损失 {loss} · 验证损失 {eval} · {speed} 词元/秒 · 剩余 {eta}",
    evaluating: "评估中……", served: "已作为 {model} 提供", lossRange: "损失 {min}–{max}",
    st_running: "运行中", st_paused: "已暂停", st_cancelled: "已取消", st_failed: "失败", st_done: "完成",
    st_interrupted: "已中断",
    pairsMatch: "{n} 个问答对符合条件", pairsCapped: "至少 {n} 个问答对符合条件",
    pairsTooFew: "{n} 个问答对符合条件；训练至少需要 2 个：请在审阅页接受问答对，或放宽这些条件。",
  },
});

let selected = null; // the run id shown in the run pane
let timer = null;
const names = new Map(); // model id -> display name (GET /api/models)
const modelName = (id) => names.get(id) || id;

function status(key, args, isError = false) {
  $("#train-status").replaceChildren(label(el("span", { className: isError ? "error" : "" }), key, args));
}

function num(id) {
  const value = $(id).value;
  return value === "" ? undefined : Number(value);
}

function startBody() {
  const filters = { status: $("#f-status").value || null };
  if ($("#f-grounded").checked) filters.grounded = "true";
  if ($("#f-document").value) filters.document = Number($("#f-document").value);
  if (num("#f-score") !== undefined) filters.score_min = num("#f-score");
  const settings = { epochs: num("#s-epochs"), learning_rate: num("#s-lr"), rank: num("#s-rank"),
    alpha: 2 * (num("#s-rank") || 8), batch_size: num("#s-batch"), max_steps: num("#s-steps") };
  for (const key of Object.keys(settings)) if (settings[key] === undefined) delete settings[key];
  const body = { model: $("#train-model").value, filters, settings, with_input: $("#f-input").checked };
  if ($("#train-name").value.trim()) body.name = $("#train-name").value.trim();
  return body;
}

const fixed = (value, digits = 4) => (value === null || value === undefined ? "–" : Number(value).toFixed(digits));

function runCard(run) {
  const share = run.total_steps ? Math.min(100, (100 * run.step) / run.total_steps) : 0;
  const bar = el("div", { className: "bar" }, el("span", { className: run.status === "failed" ? "failed" : "done" }));
  bar.firstChild.style.width = `${share}%`;
  const card = el("li", { className: `card${run.id === selected ? " selected" : ""}`, "data-run": run.id },
    el("span", { className: "title" }, run.id),
    el("span", { className: `job-status ${run.status}`, "data-testid": "run-status" }, t(`st_${run.status}`)),
    el("span", { className: "facts" }, `${modelName(run.model)} · ${run.step}/${run.total_steps} · loss ${fixed(run.loss)}`),
    bar);
  card.addEventListener("click", () => { selected = run.id; refresh(); });
  return card;
}

function drawLoss(run) {
  const canvas = $("#loss-chart");
  const ctx = canvas.getContext("2d");
  const train = (run.history || []).map((h) => [h.step, h.loss]);
  const evals = (run.evals || []).filter((e) => e.eval_loss !== null).map((e) => [e.step, e.eval_loss]);
  canvas.dataset.points = String(train.length);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const all = train.concat(evals);
  if (!all.length) { delete canvas.dataset.axis; return; }
  const minX = Math.min(...all.map((p) => p[0]));
  const maxX = Math.max(run.total_steps || 1, ...all.map((p) => p[0]));
  const ys = all.map((p) => p[1]);
  const [lo, hi] = [Math.min(...ys), Math.max(...ys)];
  const [left, right, top, bottom] = [56, 16, 14, 28]; // room for the axis values
  const [w, h] = [canvas.width - left - right, canvas.height - top - bottom];
  const x = (s) => left + (w * (s - minX)) / (maxX - minX || 1);
  const y = (v) => top + h - (h * (v - lo)) / (hi - lo || 1);
  ctx.strokeStyle = "#999"; ctx.lineWidth = 1;
  ctx.strokeRect(left, top, w, h);
  // the axis values: loss at the top and bottom of the box, the first and last step under it
  const axis = { yMax: fixed(hi, 3), yMin: fixed(lo, 3), xMin: String(minX), xMax: String(maxX) };
  ctx.fillStyle = getComputedStyle(canvas).color || "#444"; ctx.font = "12px sans-serif";
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  ctx.fillText(axis.yMax, left - 6, top);
  ctx.fillText(axis.yMin, left - 6, top + h);
  ctx.textBaseline = "top";
  ctx.textAlign = "left"; ctx.fillText(axis.xMin, left, top + h + 6);
  ctx.textAlign = "right"; ctx.fillText(axis.xMax, left + w, top + h + 6);
  ctx.textAlign = "start"; ctx.textBaseline = "alphabetic";
  canvas.dataset.axis = JSON.stringify(axis);
  ctx.strokeStyle = "#2f6fdf"; ctx.lineWidth = 2; ctx.beginPath();
  train.forEach(([s, v], i) => (i ? ctx.lineTo(x(s), y(v)) : ctx.moveTo(x(s), y(v))));
  ctx.stroke();
  ctx.fillStyle = "#d9822b";
  for (const [s, v] of evals) { ctx.beginPath(); ctx.arc(x(s), y(v), 4, 0, 2 * Math.PI); ctx.fill(); }
  label($("#loss-range"), "lossRange", { min: fixed(lo, 3), max: fixed(hi, 3) });
}

function drawEval(results) {
  const pane = $("#eval-pane");
  pane.hidden = !results || !results.models;
  if (pane.hidden) return;
  const { base, adapter } = results.models;
  const names = Object.keys(base);
  $("tbody", pane).replaceChildren(...names.map((name) =>
    el("tr", { "data-metric": name }, el("td", {}, name), el("td", {}, fixed(base[name])), el("td", {}, fixed(adapter[name])))));
  const canvas = $("#eval-chart");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const slot = canvas.width / names.length;
  names.forEach((name, i) => {
    [[base[name], "#999"], [adapter[name], "#2f6fdf"]].forEach(([value, color], j) => {
      const h = (canvas.height - 30) * Math.max(0, Math.min(1, value || 0));
      ctx.fillStyle = color;
      ctx.fillRect(i * slot + 10 + j * (slot / 2 - 10), canvas.height - 20 - h, slot / 2 - 14, h);
    });
    ctx.fillStyle = "#444"; ctx.font = "12px sans-serif";
    ctx.fillText(name, i * slot + 10, canvas.height - 5);
  });
  $("#eval-samples").replaceChildren(...(results.samples || []).slice(0, 10).map((s) =>
    el("li", {}, el("span", { className: "offsets" }, s.prompt), `${t("base")}: ${s.base}\n${t("adapter")}: ${s.adapter}`)));
}

function showRun(run) {
  $("#run-pane").hidden = false;
  $("#run-title").textContent = `${run.id} · ${t(`st_${run.status}`)}`;
  $("#run-pane").dataset.status = run.status;
  label($("#run-facts"), "runFacts", { step: run.step, total: run.total_steps, epoch: fixed(run.epoch, 2),
    loss: fixed(run.loss), eval: fixed(run.eval_loss), speed: run.tokens_per_s ?? "–",
    eta: run.eta_s === null || run.eta_s === undefined ? "–" : `${Math.round(run.eta_s)} s` });
  if (run.evaluating) $("#run-facts").append(" · ", t("evaluating"));
  if (run.status === "done") $("#run-facts").append(" · ", t("served", { model: `${run.model}+${run.id}` }));
  if (run.error) $("#run-facts").append(el("span", { className: "error", "data-testid": "run-error" }, ` · ${run.error}`));
  $("#run-pause").disabled = run.status !== "running";
  $("#run-cancel").disabled = !["running", "paused", "interrupted", "failed"].includes(run.status);
  $("#run-resume").disabled = !["paused", "interrupted", "failed"].includes(run.status);
  $("#run-eval").disabled = run.status !== "done" || run.evaluating;
  $("#run-delete").disabled = run.status === "running" || run.evaluating;
  drawLoss(run);
  drawEval(run.results);
}

async function refresh() {
  clearTimeout(timer);
  let busy = false;
  try {
    const list = await request("GET", "/api/train/runs");
    const picker = $("#train-model");
    if (!picker.options.length) {
      picker.replaceChildren(...list.models.map((id) => el("option", { value: id }, modelName(id))));
    }
    $("#run-list").replaceChildren(...list.data.map(runCard));
    $("#run-empty").hidden = list.data.length > 0;
    busy = list.data.some((run) => run.status === "running" || run.evaluating);
    if (selected) showRun(await request("GET", `/api/train/runs/${encodeURIComponent(selected)}`));
  } catch (error) {
    status("trainFailed", { detail: error.message }, true);
  }
  timer = setTimeout(refresh, busy ? 700 : 4000);
}

let counted = 0; // the newest count asked for: an older answer arriving late is dropped

/** How many pairs the filters select (GET /api/train/pairs); Start is disabled below the 2 training needs. */
async function countPairs() {
  const mine = ++counted;
  const { filters } = startBody();
  const query = new URLSearchParams({ status: filters.status || "" });
  for (const key of ["document", "grounded", "score_min"]) if (filters[key] !== undefined) query.set(key, filters[key]);
  try {
    const { total, limit, needed } = await request("GET", `/api/train/pairs?${query}`);
    if (mine !== counted) return;
    const tooFew = total < needed;
    $("#train-start").disabled = tooFew;
    const node = $("#train-count");
    node.className = tooFew ? "hint error" : "hint";
    label(node, tooFew ? "pairsTooFew" : total >= limit ? "pairsCapped" : "pairsMatch", { n: total });
  } catch (error) {
    if (mine === counted) label($("#train-count"), "trainFailed", { detail: error.message });
  }
}

async function act(action, body = {}) {
  try {
    await request("POST", `/api/train/runs/${encodeURIComponent(selected)}/${action}`, body);
  } catch (error) {
    status("trainFailed", { detail: error.message }, true);
  }
  await refresh();
}

$("#train-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if ($("#train-start").disabled) return;
  try {
    const run = await request("POST", "/api/train/runs", startBody());
    selected = run.id;
    status("started", { id: run.id, pairs: run.train_examples + run.eval_examples });
  } catch (error) {
    status("trainFailed", { detail: error.message }, true);
  }
  await refresh();
});
$("#run-pause").addEventListener("click", () => act("pause"));
$("#run-resume").addEventListener("click", () => act("resume"));
$("#run-cancel").addEventListener("click", () => act("cancel"));
$("#run-eval").addEventListener("click", () => act("eval", { limit: 50, max_tokens: 64 }));
$("#run-delete").addEventListener("click", async () => {
  if (!window.confirm(t("confirmRemove", { id: selected }))) return;
  try {
    await request("DELETE", `/api/train/runs/${encodeURIComponent(selected)}`);
    selected = null;
    $("#run-pane").hidden = true;
  } catch (error) {
    status("trainFailed", { detail: error.message }, true);
  }
  await refresh();
});

$("#train-pairs").addEventListener("input", countPairs);

initLanguage($("#lang-toggle"));
const [models, documents] = await Promise.all([
  request("GET", "/api/models").catch(() => ({ data: [] })),
  request("GET", "/api/documents?limit=200").catch(() => ({ data: [] })),
]);
for (const model of models.data) names.set(model.id, model.name);
$("#f-document").append(...documents.data.map((d) => el("option", { value: d.id }, d.name)));
await Promise.all([refresh(), countPairs()]);
document.body.dataset.ready = "true";
