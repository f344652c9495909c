// The anonymous visitor: an id and a secret made up once in this browser and kept in
// localStorage, so tokens and coupons survive reloads, reconnects and server restarts. Also the
// display name (see names.js) and the avatar's look, chosen at random the first time.

const KEY = "srichan.visitor";
export const PALETTE_BODY = ["#f1c27d", "#e0ac69", "#c68642", "#8d5524", "#ffdbac", "#d9a066"];
export const PALETTE_SHIRT = [
  "#c62828",
  "#1565c0",
  "#2e7d32",
  "#f9a825",
  "#6a1b9a",
  "#00838f",
  "#ef6c00",
  "#ad1457",
  "#37474f",
  "#5d4037",
  "#7cb342",
  "#3949ab",
];
export const HATS = 4; // 0 none, 1 cap, 2 conical straw hat, 3 bun

function base64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** `nBytes` random bytes as base64url (works on plain http too, unlike randomUUID). */
export function randomToken(nBytes) {
  const bytes = new Uint8Array(nBytes);
  crypto.getRandomValues(bytes);
  return base64url(bytes);
}

const THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙";

/** `4189` → `"๔๑๘๙"`. */
export function thaiDigits(n) {
  return String(n).replace(/[0-9]/g, (d) => THAI_DIGITS[Number(d)]);
}

/**
 * The friendly name a new visitor starts with ("ผู้มาเยือน ๔๑๘๙"), made from the visitor id the
 * same way the server makes the leaderboard name of a visitor without a nickname
 * (`default_name` in srichan_world/world/visitors.py), so both show one name: a 32-bit FNV-1a
 * of the id's UTF-8 bytes, MurmurHash3's finaliser, mod 9000, + 1000.
 */
export function defaultName(visitorId) {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(visitorId)) {
    h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return `ผู้มาเยือน ${thaiDigits(1000 + ((h >>> 0) % 9000))}`;
}

function randomInt(n) {
  const a = new Uint32Array(1);
  crypto.getRandomValues(a);
  return a[0] % n;
}

function fresh() {
  const visitorId = randomToken(16); // 22 characters of [A-Za-z0-9_-]
  return {
    visitor_id: visitorId,
    visitor_secret: randomToken(32), // 256 random bits
    name: defaultName(visitorId), // a friendly default, changeable
    look: [randomInt(PALETTE_BODY.length), randomInt(PALETTE_SHIRT.length), randomInt(HATS)],
  };
}

function valid(v) {
  return (
    v &&
    typeof v.visitor_id === "string" &&
    /^[A-Za-z0-9_-]{8,64}$/.test(v.visitor_id) &&
    typeof v.visitor_secret === "string" &&
    v.visitor_secret.length >= 22 &&
    typeof v.name === "string" &&
    Array.isArray(v.look) &&
    v.look.length === 3
  );
}

/** The stored identity, created on first use. Survives without storage for this page only. */
export function loadVisitor() {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) || "null");
    if (valid(stored)) return stored;
  } catch {
    // Unreadable storage: make a new identity below.
  }
  const v = fresh();
  saveVisitor(v);
  return v;
}

/**
 * Save a change to this page's visitor (its name), unless another identity has taken its place
 * in this browser meanwhile (a recovery code restored just now, or in another tab): a stale
 * page must never write its old identity back over the new one.
 */
export function updateVisitor(v) {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) || "null");
    if (stored && stored.visitor_id !== v.visitor_id) return;
  } catch {
    // Unreadable storage: nothing to protect; write below.
  }
  saveVisitor(v);
}

export function saveVisitor(v) {
  try {
    localStorage.setItem(KEY, JSON.stringify(v));
  } catch {
    // Private mode: the identity lasts as long as the page.
  }
}
