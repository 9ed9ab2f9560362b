// A tiny element builder: every piece of text goes in as a text node, never parsed as markup.

/**
 * el("td", {className: "q", "data-testid": "x"}, "text", childNode)
 * Keys with a dash (data-*, aria-*) and "for" become attributes; others are properties.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.includes("-") || key === "for" || key === "role") node.setAttribute(key, value === true ? "" : value);
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);
