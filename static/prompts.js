// The left pane: the system prompt editor, the preset picker, saving, overwriting and deleting saved prompts.
// Until the user edits it, the prompt follows the chosen model's preset family and the language of the text.

import { ApiError, request } from "./api.js";
import { $, el } from "./dom.js";
import { label, lang, t } from "./i18n.js";

const AUTO = "";
const EDITED = "edited";
const FAMILY_NAMES = { chatgpt: "ChatGPT", chatglm: "ChatGLM" };

const select = $("#preset");
const editor = $("#prompt");
const nameBox = $("#prompt-name");
const status = $("#prompt-status");

let prompts = [];
let model = { family: "chatgpt", language: null };
let textLanguage = null;

/** "zh" when CJK characters make up a fair share of the text, "en" for other text, null for none (as qa/language.py). */
export function detectLanguage(text) {
  const cjk = (text.match(/[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/g) || []).length;
  const words = (text.match(/[A-Za-z]+/g) || []).length;
  if (!cjk && !words) return null;
  return cjk && cjk >= 0.5 * words ? "zh" : "en";
}

const byId = (id) => prompts.find((p) => String(p.id) === id);

function autoPreset() {
  const language = model.language || textLanguage || lang();
  const presets = prompts.filter((p) => p.preset);
  return presets.find((p) => p.family === model.family && p.language === language)
    || presets.find((p) => p.family === model.family) || presets[0];
}

function optionFor(p) {
  const text = p.preset && p.family in FAMILY_NAMES
    ? t("familyLang", { family: FAMILY_NAMES[p.family], lang: t(p.language) }) : p.name;
  return el("option", { value: String(p.id), title: p.name }, text);
}

function renderSelect() {
  const value = select.value;
  const saved = prompts.filter((p) => !p.preset);
  select.replaceChildren(
    el("option", { value: AUTO }, t("auto")),
    el("optgroup", { label: t("presets") }, prompts.filter((p) => p.preset).map(optionFor)),
    saved.length ? el("optgroup", { label: t("saved") }, saved.map(optionFor)) : null,
    el("option", { value: EDITED, disabled: true }, t("edited")),
  );
  select.value = value && (value === EDITED || byId(value)) ? value : AUTO;
}

function updateHint() {
  const hint = $("#prompt-hint");
  if (!editor.value.trim()) label(hint, "hintEmpty");
  else if (select.value === AUTO) label(hint, "hintFollow", { name: autoPreset()?.name ?? "" });
  else label(hint, "hintCustom");
  $("#delete-prompt").disabled = !(byId(select.value) && !byId(select.value).preset);
}

/** When following, show the preset for the current model and text language. */
function follow() {
  if (select.value === AUTO) editor.value = autoPreset()?.text ?? "";
  updateHint();
}

function choose(value) {
  select.value = value;
  const chosen = byId(value);
  if (chosen) {
    editor.value = chosen.text;
    nameBox.value = chosen.preset ? "" : chosen.name;
  }
  clearStatus();
  follow();
}

function showStatus(key, args, ...actions) {
  status.replaceChildren(
    label(el("span"), key, args),
    ...actions.map(([actionKey, onClick, className]) => {
      const button = label(el("button", { type: "button", className: className || "ghost" }), actionKey);
      button.addEventListener("click", onClick);
      return button;
    }),
  );
  status.dataset.kind = key;
}

function clearStatus() {
  status.replaceChildren();
  delete status.dataset.kind;
}

function showError(error) {
  status.replaceChildren(el("span", { className: "error" }, error.message));
  status.dataset.kind = "error";
}

async function reload(selectId) {
  prompts = (await request("GET", "/api/prompts")).data;
  renderSelect();
  if (selectId !== undefined) select.value = String(selectId);
  updateHint();
}

async function save() {
  const name = nameBox.value.trim();
  const text = editor.value;
  if (!name) return showStatus("needName");
  if (!text.trim()) return showStatus("needText");
  try {
    const created = await request("POST", "/api/prompts", { name, text });
    await reload(created.id);
    showStatus("savedAs", { name });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) return showError(error);
    showStatus("exists", { name }, ["overwrite", () => overwrite(name, text), "primary"], ["cancel", clearStatus]);
  }
}

async function overwrite(name, text) {
  try {
    await reload();
    const existing = prompts.find((p) => !p.preset && p.name === name);
    const updated = existing
      ? await request("PUT", `/api/prompts/${existing.id}`, { text })
      : await request("POST", "/api/prompts", { name, text });
    await reload(updated.id);
    showStatus("savedAs", { name });
  } catch (error) {
    showError(error);
  }
}

function askDelete() {
  const chosen = byId(select.value);
  if (!chosen || chosen.preset) return;
  showStatus("confirmDelete", { name: chosen.name }, ["delete", () => remove(chosen), "danger"], ["cancel", clearStatus]);
}

async function remove(chosen) {
  try {
    await request("DELETE", `/api/prompts/${chosen.id}`);
    await reload(EDITED);
    nameBox.value = "";
    showStatus("deleted", { name: chosen.name });
  } catch (error) {
    showError(error);
  }
}

/** The system prompt to send with `question`; null (the server picks the preset) when following or empty. */
export function promptFor(question) {
  textLanguage = detectLanguage(question) || textLanguage;
  follow();
  return select.value === AUTO || !editor.value.trim() ? null : editor.value;
}

export function setModel(chosen) {
  if (chosen) model = chosen;
  follow();
}

/** The user is typing a text: a following prompt switches to that text's language. */
export function setText(text) {
  const detected = detectLanguage(text);
  if (detected && detected !== textLanguage) {
    textLanguage = detected;
    follow();
  }
}

export async function initPrompts() {
  select.addEventListener("change", () => choose(select.value));
  editor.addEventListener("input", () => {
    const chosen = byId(select.value);
    if (select.value === AUTO || (chosen && chosen.text !== editor.value)) select.value = EDITED;
    updateHint();
  });
  $("#save-prompt").addEventListener("click", save);
  $("#delete-prompt").addEventListener("click", askDelete);
  document.addEventListener("langchange", () => {
    renderSelect();
    follow();
  });
  try {
    await reload();
    follow();
  } catch (error) {
    showError(error);
  }
}
