// The jobs view: start a job on a document, and watch every job's progress bar (polled) with its buttons.
// The jobs live on the server, so the view shows the same thing after a reload or in another tab.

import { request } from "./api.js";
import { $, el } from "./dom.js";
import { addLabels, initLanguage, label, t } from "./i18n.js";

addLabels({
  en: {
    jobNew: "New job", jobDocument: "Document", jobPrompt: "System prompt", jobConcurrency: "Concurrency",
    jobStart: "Start", jobList: "Jobs", jobNone: "No jobs yet: add a document, then start one.",
    jobAuto: "Automatic (model and language)", jobStarted: "Started job {id}.", jobFailedStart: "Could not start: {detail}",
    jobCounts: "{done} done · {failed} failed · {running} running · {total} chunks · {pairs} pairs",
    jobTime: "elapsed {elapsed}", jobEta: " · about {eta} left", jobEmpty: " · {n} {n|chunk|chunks} gave no pairs",
    pause: "Pause", resume: "Resume", cancelJob: "Cancel", retry: "Retry failed",
    st_queued: "queued", st_running: "running", st_paused: "paused", st_done: "done", st_failed: "failed",
    st_cancelled: "cancelled", noDocuments: "Add a document first (Documents view).",
  },
  zh: {
    jobNew: "新任务", jobDocument: "文档", jobPrompt: "系统提示词", jobConcurrency: "并发数",
    jobStart: "开始", jobList: "任务", jobNone: "还没有任务：先添加文档，再开始任务。",
    jobAuto: "自动（按模型与语言）", jobStarted: "已开始任务 {id}。", jobFailedStart: "无法开始：{detail}",
    jobCounts: "完成 {done} · 失败 {failed} · 进行中 {running} · 共 {total} 块 · {pairs} 个问答对",
    jobTime: "已用 {elapsed}", jobEta: " · 约剩 {eta}", jobEmpty: " · {n} 块没有生成问答对",
    pause: "暂停", resume: "继续", cancelJob: "取消", retry: "重试失败的块",
    st_queued: "排队中", st_running: "运行中", st_paused: "已暂停", st_done: "已完成", st_failed: "失败",
    st_cancelled: "已取消", noDocuments: "请先添加文档（文档视图）。",
  },
});

const ACTIVE = new Set(["queued", "running"]);
const ACTIONS = { pause: ["queued", "running"], resume: ["paused"], cancel: ["queued", "running", "paused"],
  retry: ["failed", "cancelled", "running", "paused"] };
const ACTION_LABEL = { pause: "pause", resume: "resume", cancel: "cancelJob", retry: "retry" };
const cards = new Map(); // job id -> its card's parts
let timer = null;

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.round(seconds);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor(s % 3600 / 60)}m`;
}

function status(key, args, isError = false) {
  $("#job-status").replaceChildren(label(el("span", { className: isError ? "error" : "" }), key, args));
}

function makeCard(job) {
  const parts = {
    title: el("span", { className: "title" }),
    state: el("span", { className: "job-status", "data-testid": "job-state" }),
    bar: el("div", { className: "bar", role: "progressbar", "aria-valuemin": "0", "data-testid": "job-bar" },
      el("span", { className: "done" }), el("span", { className: "failed" }), el("span", { className: "running" })),
    counts: el("span", { className: "facts", "data-testid": "job-counts" }),
    time: el("span", { className: "facts" }),
    errors: el("ul", { className: "errors" }),
    buttons: el("div", { className: "row" }),
  };
  for (const action of Object.keys(ACTIONS)) {
    const button = label(el("button", { type: "button", className: "small", "data-action": action,
      "data-testid": `job-${action}` }), ACTION_LABEL[action]);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        update(await request("POST", `/api/jobs/${job.id}/${action}`));
        schedule();
      } catch (error) {
        status("jobFailedStart", { detail: error.message }, true);
      }
    });
    parts.buttons.append(button);
  }
  parts.node = el("li", { className: "card", "data-testid": "job-card", "data-id": job.id },
    el("div", { className: "row" }, parts.title, parts.state), parts.bar, parts.counts, parts.time, parts.errors,
    parts.buttons);
  cards.set(job.id, parts);
  return parts;
}

function update(job) {
  const parts = cards.get(job.id) || makeCard(job);
  const c = job.chunks;
  parts.title.textContent = `#${job.id} ${job.document ?? ""} · ${modelNames.get(job.model) || job.model}`;
  parts.title.title = job.model; // the id, for the API and the CLI
  label(parts.state, `st_${job.status}`);
  parts.state.className = `job-status ${job.status}`;
  parts.node.dataset.status = job.status;
  const pct = (n) => `${c.total ? (100 * n) / c.total : 0}%`;
  const [done, failed, running] = parts.bar.children;
  done.style.width = pct(c.done);
  failed.style.width = pct(c.failed);
  running.style.width = pct(c.running);
  parts.bar.setAttribute("aria-valuemax", c.total);
  parts.bar.setAttribute("aria-valuenow", c.done);
  label(parts.counts, "jobCounts", { ...c, pairs: job.pairs });
  parts.time.textContent = t("jobTime", { elapsed: duration(job.elapsed) })
    + (ACTIVE.has(job.status) && job.eta !== null ? t("jobEta", { eta: duration(job.eta) }) : "")
    + (c.empty ? t("jobEmpty", { n: c.empty }) : "");
  parts.errors.replaceChildren(...[job.error, ...job.errors.map((e) => `#${e.chunk + 1}: ${e.error}`)]
    .filter(Boolean).map((text) => el("li", {}, text)));
  for (const button of parts.buttons.children) {
    const action = button.dataset.action;
    button.hidden = !ACTIONS[action].includes(job.status) || (action === "retry" && !c.failed && job.status !== "cancelled");
    button.disabled = false;
  }
  return parts;
}

async function refresh() {
  const { data } = await request("GET", "/api/jobs?limit=50");
  const nodes = data.map((job) => update(job).node);
  $("#job-list").replaceChildren(...nodes);
  $("#job-empty").hidden = data.length > 0;
  return data.some((job) => ACTIVE.has(job.status));
}

/** Poll while a job runs (every second), slowly otherwise, so jobs started elsewhere show up too. */
function schedule(delay = 300) {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    let busy = true;
    try {
      busy = await refresh();
    } catch (error) {
      status("jobFailedStart", { detail: error.message }, true);
    }
    schedule(busy ? 1000 : 5000);
  }, delay);
}

const modelNames = new Map(); // model id -> display name (GET /api/models), for the cards

async function loadChoices() {
  const [docs, models, promptList] = await Promise.all([request("GET", "/api/documents?limit=200"),
    request("GET", "/api/models"), request("GET", "/api/prompts")]);
  const wanted = new URLSearchParams(location.search).get("document");
  $("#job-document").replaceChildren(...docs.data.map((d) => el("option", { value: d.id, selected: String(d.id) === wanted },
    `${d.name} (${d.chunks})`)));
  if (!docs.data.length) status("noDocuments", {}, true);
  for (const model of models.data) modelNames.set(model.id, model.name);
  $("#job-model").replaceChildren(...models.data.map((m) => el("option", { value: m.id, disabled: !m.available },
    m.name + (m.available ? "" : ` (${t("unavailable")})`))));
  $("#job-prompt").replaceChildren(label(el("option", { value: "" }), "jobAuto"),
    ...promptList.data.map((p) => el("option", { value: p.name }, p.name)));
  $("#job-max-tokens").value = models.defaults.max_tokens;
  $("#job-temperature").value = models.defaults.temperature;
}

$("#job-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { document_id: Number($("#job-document").value), model: $("#job-model").value,
    max_tokens: Number($("#job-max-tokens").value), temperature: Number($("#job-temperature").value),
    concurrency: Number($("#job-concurrency").value) };
  if ($("#job-prompt").value) body.prompt = $("#job-prompt").value;
  try {
    const job = await request("POST", "/api/jobs", body);
    status("jobStarted", { id: job.id });
    update(job);
    schedule(0);
  } catch (error) {
    status("jobFailedStart", { detail: error.message }, true);
  }
});

initLanguage($("#lang-toggle"));
await loadChoices().catch((error) => status("jobFailedStart", { detail: error.message }, true));
await refresh().catch((error) => status("jobFailedStart", { detail: error.message }, true));
schedule(1000);
document.body.dataset.ready = "true";
