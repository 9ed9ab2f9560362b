// Page labels in English and Chinese: picks one from navigator.language or the saved choice, switches on demand.
// Elements carry data-i18n="key" (text), data-i18n-args (JSON) and data-i18n-attr="attr:key;…" (attributes).

const LABELS = {
  en: {
    tagline: "Turn text into question–answer pairs",
    switchTo: "中文", switchLabel: "Switch the page to Chinese",
    navLabel: "Views", navChat: "Chat", navDocuments: "Documents", navJobs: "Jobs", navReview: "Review",
    navTrain: "Train",
    tokenNeeded: "This server needs its API token.", tokenWrong: "That token was refused; try again.",
    tokenLabel: "API token", tokenOk: "Use it",
    promptHeading: "System prompt", presetLabel: "Start from",
    auto: "Automatic (model and language)",
    presets: "Presets", saved: "Saved", edited: "Edited (not saved)",
    familyLang: "{family} · {lang}", zh: "Chinese", en: "English",
    hintEmpty: "Empty: the model's preset for the text's language is used.",
    hintFollow: "Following the preset {name} for this model and language; edit to make it your own.",
    hintCustom: "Sent as the system prompt, exactly as written.",
    nameLabel: "Save as", namePlaceholder: "A name for this prompt",
    save: "Save", delete: "Delete", overwrite: "Overwrite", cancel: "Cancel",
    needName: "Give the prompt a name first.", needText: "The prompt is empty; there is nothing to save.",
    savedAs: "Saved as “{name}”.", exists: "A saved prompt is already called “{name}”.",
    confirmDelete: "Delete the saved prompt “{name}”?", deleted: "Deleted “{name}”.",
    chatHeading: "Conversation", clear: "Clear",
    emptyChat: "Paste a passage and press Send: the model replies with question–answer pairs.",
    messageLabel: "Your text", messagePlaceholder: "Paste a passage here…",
    sendHint: "Ctrl/⌘+Enter sends", send: "Send", stop: "Stop",
    you: "You", replyText: "The reply as written", stopped: "Stopped", failed: "Error",
    incomplete: "The reply ended before it was complete.",
    unreachable: "Could not reach the server: {detail}",
    usage: "{tokens} tokens",
    settingsHeading: "Settings", modelLabel: "Model", unavailable: "unavailable", computesIn: "computes in",
    maxTokensLabel: "Max tokens", temperatureLabel: "Temperature",
    temperatureHint: "0 picks the likeliest words; higher is more varied.",
    pairsCaption: "Question–answer pairs ({n})", question: "Question", answer: "Answer", status: "Status",
    grounded: "grounded", unsupported: "unsupported", unverifiable: "unverifiable", support: "support {value}", evidence: "Evidence",
    copy: "Copy JSONL", copied: "Copied {n} pairs as JSONL.", copyFailed: "Could not copy: {detail}",
    download: "Download",
    no_pairs: "No question–answer pairs found in this reply.",
    truncated: "The reply was cut off at max_tokens: the last pair may be incomplete. Raise max_tokens.",
    reasked: "The first reply had no pairs, so the model was asked again with a format reminder.",
  },
  zh: {
    tagline: "把文本变成问答对",
    switchTo: "English", switchLabel: "将页面切换为英文",
    navLabel: "视图", navChat: "对话", navDocuments: "文档", navJobs: "任务", navReview: "审阅",
    navTrain: "训练",
    tokenNeeded: "此服务器需要 API 令牌。", tokenWrong: "令牌被拒绝，请重试。",
    tokenLabel: "API 令牌", tokenOk: "使用",
    promptHeading: "系统提示词", presetLabel: "起点",
    auto: "自动（按模型与语言）",
    presets: "预设", saved: "已保存", edited: "已编辑（未保存）",
    familyLang: "{family} · {lang}", zh: "中文", en: "英文",
    hintEmpty: "留空：按文本语言使用模型的预设提示词。",
    hintFollow: "正在跟随该模型与语言的预设 {name}；编辑后即为自定义提示词。",
    hintCustom: "将按原样作为系统提示词发送。",
    nameLabel: "保存为", namePlaceholder: "为提示词起个名字",
    save: "保存", delete: "删除", overwrite: "覆盖", cancel: "取消",
    needName: "请先填写名称。", needText: "提示词为空，无可保存的内容。",
    savedAs: "已保存为“{name}”。", exists: "已有名为“{name}”的提示词。",
    confirmDelete: "删除已保存的提示词“{name}”？", deleted: "已删除“{name}”。",
    chatHeading: "对话", clear: "清空",
    emptyChat: "粘贴一段文字并发送，模型会给出问答对。",
    messageLabel: "你的文本", messagePlaceholder: "在此粘贴文字…",
    sendHint: "Ctrl/⌘+Enter 发送", send: "发送", stop: "停止",
    you: "你", replyText: "回复原文", stopped: "已停止", failed: "出错",
    incomplete: "回复未完整结束。",
    unreachable: "无法连接服务器：{detail}",
    usage: "{tokens} 个 token",
    settingsHeading: "设置", modelLabel: "模型", unavailable: "不可用", computesIn: "计算精度",
    maxTokensLabel: "最大 token 数", temperatureLabel: "温度",
    temperatureHint: "0 总选最可能的词；越高越多样。",
    pairsCaption: "问答对（{n}）", question: "问题", answer: "答案", status: "状态",
    grounded: "有依据", unsupported: "无依据", unverifiable: "无法核实", support: "支持度 {value}", evidence: "依据原文",
    copy: "复制 JSONL", copied: "已复制 {n} 个问答对（JSONL）。", copyFailed: "复制失败：{detail}",
    download: "下载",
    no_pairs: "此回复中没有找到问答对。",
    truncated: "回复在达到 max_tokens 时被截断，最后一个问答对可能不完整。请调大 max_tokens。",
    reasked: "第一次回复中没有问答对，已提醒模型按格式重新回答。",
  },
};

/** Add a view's own labels (each view module brings its labels, so views do not share one table). */
export function addLabels(more) {
  for (const code of Object.keys(LABELS)) Object.assign(LABELS[code], more[code] || {});
  if (typeof document !== "undefined" && document.readyState !== "loading") translate();
}

const STORE_KEY = "qapair.lang";
let current = pickLanguage();

function pickLanguage() {
  const saved = localStorage.getItem(STORE_KEY);
  if (saved in LABELS) return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function lang() {
  return current;
}

export function has(key) {
  return Object.hasOwn(LABELS.en, key);
}

/** A label's text with its {name}s filled in; {name|one|other} picks the word for that count ("1 chunk", "2 chunks"). */
export function t(key, args = {}) {
  const text = LABELS[current][key] ?? LABELS.en[key] ?? key;
  return text.replace(/\{(\w+)(?:\|([^|}]*)\|([^}]*))?\}/g, (whole, name, one, other) => {
    if (!(name in args)) return whole;
    if (one === undefined) return String(args[name]);
    return new Intl.PluralRules(current).select(Number(args[name])) === "one" ? one : other;
  });
}

/** Give an element a translated text that follows language switches. */
export function label(node, key, args) {
  node.dataset.i18n = key;
  if (args) node.dataset.i18nArgs = JSON.stringify(args);
  node.textContent = t(key, args);
  return node;
}

export function translate(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) {
    const args = node.dataset.i18nArgs ? JSON.parse(node.dataset.i18nArgs) : undefined;
    node.textContent = t(node.dataset.i18n, args);
  }
  for (const node of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of node.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      node.setAttribute(attr, t(key));
    }
  }
}

function apply(code) {
  current = code in LABELS ? code : "en";
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  translate();
  document.dispatchEvent(new CustomEvent("langchange", { detail: current }));
}

/** Show the page in the chosen language; only an explicit switch is remembered. */
export function initLanguage(toggle) {
  apply(current);
  toggle.addEventListener("click", () => {
    apply(current === "zh" ? "en" : "zh");
    localStorage.setItem(STORE_KEY, current);
  });
}
