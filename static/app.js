// The page's entry point: labels first, then the three panes, then the models and prompts from the server.

import { request } from "./api.js";
import { initChat } from "./chat.js";
import { $, el } from "./dom.js";
import { initLanguage } from "./i18n.js";
import { initPrompts, setModel } from "./prompts.js";
import { currentModel, onModelChange, showModels } from "./settings.js";

async function loadModels() {
  try {
    showModels(await request("GET", "/api/models"));
  } catch (error) {
    $("#model-notes").replaceChildren(el("li", { className: "error" }, error.message));
  }
}

initLanguage($("#lang-toggle"));
initChat();
onModelChange(setModel);
await Promise.all([loadModels(), initPrompts()]);
setModel(currentModel());
document.body.dataset.ready = "true";
