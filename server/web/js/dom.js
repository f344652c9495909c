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
 * false` when the page already shows the same thing (the guide during a walk). Both show above
 * an open modal dialog once `keepAnnouncementsOnTop` runs (below).
 */
export function announce(text, { tone = "info", ms = 3500, toast = true } = {}) {
  placeHosts();
  const live = host("live");
  if (live) live.textContent = text;
  const toasts = host("toasts");
  if (!toasts || !toast) return;
  const node = el("div", { class: `toast toast-${tone}`, text });
  toasts.append(node);
  setTimeout(() => node.remove(), ms);
}

// -- above modal dialogs ------------------------------------------------------------------------
// A dialog opened with showModal() sits in the browser's top layer, above every z-index, and
// makes the rest of the page inert: a toast outside it is drawn under it and its backdrop, and
// the live region outside it leaves the accessibility tree, so a screen reader hears nothing
// either. So while modal dialogs are open, the live region and the toast host live inside the
// one opened last (the top of the top layer) and go back to <body> when it closes. The toasts
// are position: fixed, so they stay where they were on the screen, and pointer-events: none
// lets taps through to the dialog's buttons. (A popover="manual" toast host re-shown after the
// dialog would be drawn on top as well, but outside the modal it stays inert: the browser
// hit-tests through it and leaves it out of the accessibility tree, live region included.)

const modals = []; // open modal dialogs, in the order they were opened
let hosts = []; // the live region and the toast host: kept, as a redraw of a dialog detaches them
let opened = null; // watches dialogs open and close
let redrawn = null; // watches the children of the dialog the hosts are in

function isModal(dialog) {
  try {
    return dialog.matches(":modal");
  } catch {
    return true; // no :modal (older browsers): this client opens every dialog with showModal
  }
}

function noteDialogs(records) {
  for (const { target } of records) {
    if (target.localName !== "dialog") continue;
    const at = modals.indexOf(target);
    if (at >= 0) modals.splice(at, 1);
    if (target.open && isModal(target)) modals.push(target);
  }
}

/** Move the hosts into the topmost open modal dialog, or back to <body>. */
function placeHosts() {
  if (!opened) return;
  noteDialogs(opened.takeRecords()); // a dialog opened earlier in this same task
  let home = document.body;
  for (let i = modals.length - 1; i >= 0; i -= 1) {
    if (modals[i].open && modals[i].isConnected) {
      home = modals[i];
      break;
    }
  }
  for (const host of hosts) if (host.parentNode !== home) home.append(host);
  redrawn.disconnect();
  if (home !== document.body) redrawn.observe(home, { childList: true });
}

/** Keep toasts and the live region above modal dialogs from now on (main.js, at start). */
export function keepAnnouncementsOnTop() {
  if (opened) return;
  hosts = ["live", "toasts"].map((id) => document.getElementById(id)).filter(Boolean);
  opened = new MutationObserver((records) => {
    noteDialogs(records);
    placeHosts();
  });
  redrawn = new MutationObserver(placeHosts);
  opened.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["open"] });
  for (const dialog of document.querySelectorAll("dialog[open]"))
    if (isModal(dialog)) modals.push(dialog);
  placeHosts();
}

function host(id) {
  return hosts.find((node) => node.id === id) ?? document.getElementById(id);
}
