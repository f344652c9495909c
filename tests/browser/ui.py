"""Measurements of the page as a visitor sees it: how much of the screen the street gets, tap
targets too small for a finger, text too small to read. Each runs in the page and returns plain
data, so a failing assertion can say which element is at fault."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page

STREET_SHARE_JS = """(step) => {
  // Sample the viewport on a grid; a point belongs to the street when the element the browser
  // would hit there is the 3D canvas (labels let taps through, so they count as street).
  const canvas = document.getElementById('street-canvas');
  let street = 0, total = 0;
  for (let y = step / 2; y < innerHeight; y += step) {
    for (let x = step / 2; x < innerWidth; x += step) {
      total += 1;
      if (document.elementFromPoint(x, y) === canvas) street += 1;
    }
  }
  return street / total;
}"""

TAP_TARGETS_JS = """(minPx) => {
  // Visible things a finger presses: buttons, links, inputs, selects and the labels that wrap a
  // radio button or a checkbox (the label is the target, not the small circle).
  const seen = (el) => {
    if (el.closest('[hidden], dialog:not([open])')) return false;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false; // visually hidden (sr-only)
    const cs = getComputedStyle(el);
    return cs.visibility !== 'hidden' && cs.display !== 'none' && Number(cs.opacity) > 0;
  };
  const describe = (el, r) => ({
    what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (typeof el.className ===
      'string' && el.className ? '.' + el.className.replace(/ /g, '.') : ''),
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30),
    w: Math.round(r.width * 10) / 10, h: Math.round(r.height * 10) / 10,
  });
  const out = [];
  let smallest = Infinity;
  const targets = document.querySelectorAll(
    'button, a[href], select, input:not([type=radio]):not([type=checkbox]):not([type=hidden]),' +
    ' label:has(> input[type=radio]), label:has(> input[type=checkbox]), summary, [role=button]');
  for (const el of targets) {
    if (!seen(el)) continue;
    const r = el.getBoundingClientRect();
    smallest = Math.min(smallest, r.width, r.height);
    if (r.width < minPx - 0.5 || r.height < minPx - 0.5) out.push(describe(el, r));
  }
  return { small: out, smallest, count: targets.length };
}"""

TEXT_SIZES_JS = """(minPx) => {
  // Every visible piece of text, by the computed size of the element that holds it.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = [];
  let smallest = Infinity;
  const checked = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const el = n.parentElement;
    if (!el || checked.has(el)) continue;
    checked.add(el);
    if (el.closest('[hidden], dialog:not([open]), script, style, noscript, title')) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue; // visually hidden (sr-only)
    const size = parseFloat(cs.fontSize);
    smallest = Math.min(smallest, size);
    if (size < minPx - 0.05)
      out.push({ text: n.textContent.trim().slice(0, 30), size, cls: String(el.className) });
  }
  return { small: out, smallest };
}"""


async def street_share(page: Page, step: int = 10) -> float:
    return float(await page.evaluate(STREET_SHARE_JS, step))


async def tap_targets(page: Page, min_px: int = 44) -> dict[str, Any]:
    return dict(await page.evaluate(TAP_TARGETS_JS, min_px))


async def text_sizes(page: Page, min_px: int = 14) -> dict[str, Any]:
    return dict(await page.evaluate(TEXT_SIZES_JS, min_px))
