// Files the server writes: fetch one (GET with filters, or POST with pairs) and hand it to the browser as a download.

import { authFetch, errorFrom } from "./api.js";
import { el } from "./dom.js";

function fileName(response, fallback) {
  const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  return match ? match[1] : fallback;
}

async function fetchFile(url, body) {
  const init = body === undefined ? { method: "GET" }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await authFetch(url, init);
  if (!response.ok) throw await errorFrom(response);
  return response;
}

/** Save what the server answers as a file; rejects with an ApiError the caller can show. */
export async function downloadFrom(url, body, fallback = "qa_pairs") {
  const response = await fetchFile(url, body);
  const blob = await response.blob();
  const href = URL.createObjectURL(blob);
  const link = el("a", { href, download: fileName(response, fallback) });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 1000);
}

/** The text the server answers (an export to copy). */
export async function textFrom(url, body) {
  return (await fetchFile(url, body)).text();
}
