// The right pane: the model picker (with each model's availability) and the max_tokens / temperature controls.

import { $, el } from "./dom.js";
import { t } from "./i18n.js";

let models = [];

/** A range slider and a number box that mirror each other; values snap to the range's bounds and step. */
function pairSlider(range, box, decimals) {
  const [min, max, step] = [Number(range.min), Number(range.max), Number(range.step) || 1];
  const clamp = (raw, fallback) => {
    const value = Number.parseFloat(raw);
    if (!Number.isFinite(value)) return fallback;
    const snapped = Math.round((Math.min(max, Math.max(min, value)) - min) / step) * step + min;
    return Number(snapped.toFixed(decimals));
  };
  range.addEventListener("input", () => (box.value = range.value));
  box.addEventListener("input", () => {
    if (box.value !== "" && box.checkValidity()) range.value = box.value;
  });
  box.addEventListener("change", () => {
    box.value = clamp(box.value, Number(range.value));
    range.value = box.value;
  });
  return {
    get: () => clamp(box.value, Number(range.value)),
    set: (value) => {
      box.value = clamp(value, Number(range.value));
      range.value = box.value;
    },
  };
}

const maxTokens = pairSlider($("#max-tokens"), $("#max-tokens-num"), 0);
const temperature = pairSlider($("#temperature"), $("#temperature-num"), 2);

function renderModels() {
  const select = $("#model");
  const chosen = select.value;
  select.replaceChildren(
    ...models.map((m) =>
      el("option", { value: m.id, disabled: !m.available, title: m.reason || "" },
        m.available ? m.name : `${m.name} (${t("unavailable")})`),
    ),
  );
  const firstUsable = models.find((m) => m.available);
  select.value = models.some((m) => m.id === chosen && m.available) ? chosen : firstUsable ? firstUsable.id : "";
  $("#model-notes").replaceChildren(
    ...models.filter((m) => !m.available || m.note).map((m) =>
      el("li", { "data-model": m.id }, el("strong", {}, `${m.name}: `),
        m.available ? m.note : m.reason || t("unavailable")),
    ),
    ...models.filter((m) => m.available && m.dtype).map((m) =>
      el("li", { "data-model-dtype": m.id, title: m.dtype.reason }, el("strong", {}, `${m.name}: `),
        `${t("computesIn")} ${m.dtype.dtype} (${m.dtype.reason})`),
    ),
  );
  showNotesFor(select.value);
}

/** Notes about the chosen model only (every adapter adds two); a model that cannot load is always named. */
function showNotesFor(id) {
  for (const item of $("#model-notes").children) {
    const model = item.dataset.model ?? item.dataset.modelDtype;
    item.hidden = model !== id && models.find((m) => m.id === model)?.available !== false;
  }
}

/** Fill the controls from GET /api/models. */
export function showModels({ data, defaults }) {
  models = data;
  renderModels();
  if (defaults) {
    maxTokens.set(defaults.max_tokens);
    temperature.set(defaults.temperature);
  }
}

/** The chosen model: {id, family, language} (language null unless the server forces one). */
export function currentModel() {
  const m = models.find((x) => x.id === $("#model").value);
  if (!m) return null;
  return { id: m.id, name: m.name, family: m.family, language: m.language || null };
}

export function generationOptions() {
  return { model: $("#model").value || undefined, max_tokens: maxTokens.get(), temperature: temperature.get() };
}

export function onModelChange(callback) {
  $("#model").addEventListener("change", () => { showNotesFor($("#model").value); callback(currentModel()); });
}

document.addEventListener("langchange", renderModels);
