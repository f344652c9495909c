// DOM helpers: every text from the server goes in as textContent, never as HTML.

/** Build an element with text content only (never HTML from data). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children) {
    if (child == null || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** Replace an element's children. */
export function fill(node, ...children) {
  node.replaceChildren(...children.filter((c) => c != null && c !== false));
  return node;
}

/** Replace `container`'s children, keeping keyboard focus on the "same" control (by data-key). */
export function rerender(container, ...children) {
  const focused = document.activeElement;
  const key = container.contains(focused) ? focused?.dataset?.key : null;
  fill(container, ...children);
  if (key) container.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus();
}

/**
 * A short message for screen readers (aria-live region) and a toast for everyone; `toast:
 * false` when the page already shows the same thing (the guide during a walk).
 */
export function announce(text, { tone = "info", ms = 3500, toast = true } = {}) {
  const live = document.getElementById("live");
  if (live) live.textContent = text;
  const host = document.getElementById("toasts");
  if (!host || !toast) return;
  const node = el("div", { class: `toast toast-${tone}`, text });
  host.append(node);
  setTimeout(() => node.remove(), ms);
}
