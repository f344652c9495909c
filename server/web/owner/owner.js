// The owner page: sign in with a one-time link, check coupons (typed, or scanned with the
// phone's camera where the browser has BarcodeDetector), edit and publish a booth. Required
// fields are marked in both languages and checked before saving; every problem is shown at its
// field. Edits not yet saved are kept in this browser (restored after a reload) and leaving the
// page with them asks first.
// Every text from the server or the owner goes into the page as textContent, never as HTML.

const BANGKOK_OFFSET_S = 7 * 3600;
const MAX_PRODUCTS = 12;
const MAX_PROMOTIONS = 6;
const MAX_UPLOAD_BYTES = 1048576;

const DRAFT_KEY = "srichan.owner.draft.";
const SCAN_GIVE_UP_MS = 60000;

const $ = (selector, root = document) => root.querySelector(selector);
import { loadBoothFigures } from "/owner/static/booth-figures.js";

const state = { csrf: "", slots: [], slot: null, issued: {}, photos: {}, dirty: false };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children)
    if (c != null) node.append(typeof c === "string" ? document.createTextNode(c) : c);
  return node;
}

/** "ไทย · English" as two spans, the English one marked for screen readers. */
function both(th, en) {
  return [el("span", { text: th }), " ", el("span", { class: "en", lang: "en", text: en })];
}

function setStatus(node, tone, th, en) {
  node.dataset.tone = tone;
  node.hidden = false;
  node.replaceChildren(...both(th, en));
}

// -- talking to the server ------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.en || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function api(method, path, body, { raw = false, contentType } = {}) {
  const headers = {};
  if (method !== "GET") headers["X-CSRF-Token"] = state.csrf;
  let payload;
  if (raw) {
    payload = body;
    if (contentType) headers["Content-Type"] = contentType;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, {
    method,
    headers,
    body: payload,
    credentials: "same-origin",
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// -- dates: the form shows Thailand time whatever the phone's zone ---------------------------

function toLocalInput(unix) {
  if (!unix) return "";
  return new Date((unix + BANGKOK_OFFSET_S) * 1000).toISOString().slice(0, 16);
}

function fromLocalInput(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
  if (!m) return null;
  const utc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]) / 1000;
  return utc - BANGKOK_OFFSET_S;
}

function showTime(unix) {
  return new Date(unix * 1000).toLocaleString("th-TH", { timeZone: "Asia/Bangkok" });
}

// -- the booth form ---------------------------------------------------------------------------

function addProduct(product = {}) {
  const list = $("#products");
  if (list.children.length >= MAX_PRODUCTS) return;
  const item = $("#product-template").content.firstElementChild.cloneNode(true);
  $('[data-field="name.th"]', item).value = product.name?.th || "";
  $('[data-field="name.en"]', item).value = product.name?.en || "";
  $('[data-field="price"]', item).value = product.price ?? "";
  setPhoto(item, product.photo || null);
  $('[data-field="photo-file"]', item).addEventListener("change", (e) =>
    uploadPhoto(item, e.target),
  );
  $(".remove-photo", item).addEventListener("click", () => {
    setPhoto(item, null);
    markDirty();
  });
  $(".remove", item).addEventListener("click", () => {
    item.remove();
    updateAddButtons();
    markDirty();
  });
  list.append(item);
  updateAddButtons();
}

function setPhoto(item, id) {
  item.dataset.photo = id || "";
  const img = $(".photo", item);
  const url = id ? state.photos[id] || `/booth-images/${id}` : "";
  img.hidden = !id;
  $(".remove-photo", item).hidden = !id;
  if (id) img.src = url;
  else img.removeAttribute("src");
}

async function uploadPhoto(item, input) {
  const file = input.files[0];
  const error = $('[data-error-field="photo"]', item);
  error.replaceChildren();
  if (!file) return;
  if (file.size > MAX_UPLOAD_BYTES) {
    error.replaceChildren(...both("ไฟล์ใหญ่เกิน 1 MB", "The file is larger than 1 MB"));
    input.value = "";
    return;
  }
  try {
    const result = await api("POST", `/owner/api/booths/${state.slot}/photos`, file, {
      raw: true,
      contentType: file.type || "application/octet-stream",
    });
    state.photos[result.id] = result.url;
    setPhoto(item, result.id);
    markDirty();
  } catch (err) {
    error.replaceChildren(...both(err.body?.th || "อัปโหลดไม่สำเร็จ", err.message));
  } finally {
    input.value = "";
  }
}

function addPromotion(promo = {}) {
  const list = $("#promotions");
  if (list.children.length >= MAX_PROMOTIONS) return;
  const item = $("#promotion-template").content.firstElementChild.cloneNode(true);
  item.dataset.id = promo.id || "";
  $('[data-field="title.th"]', item).value = promo.title?.th || "";
  $('[data-field="title.en"]', item).value = promo.title?.en || "";
  $('[data-field="cost"]', item).value = promo.cost ?? "";
  $('[data-field="coupons"]', item).value = promo.coupons ?? "";
  $('[data-field="per_visitor"]', item).value = promo.per_visitor ?? 1;
  $('[data-field="daily_stock"]', item).value = promo.daily_stock || "";
  $('[data-field="requires_sign_in"]', item).checked = promo.requires_sign_in === true;
  // shown when the street has sign-in providers, or when the promotion already asks for it
  $(".signin-only", item).hidden = !(state.signInProviders || promo.requires_sign_in);
  const now = Math.floor(Date.now() / 1000);
  $('[data-field="valid_from"]', item).value = toLocalInput(promo.valid_from || now);
  $('[data-field="valid_to"]', item).value = toLocalInput(promo.valid_to || now + 30 * 86400);
  const issued = state.issued[promo.id] || 0;
  $(".issued", item).replaceChildren(
    ...(promo.id ? both(`แจกไปแล้ว ${issued} ใบ`, `${issued} issued so far`) : []),
  );
  $(".remove", item).addEventListener("click", () => {
    item.remove();
    updateAddButtons();
    markDirty();
  });
  list.append(item);
  updateAddButtons();
}

function updateAddButtons() {
  $("#add-product").disabled = $("#products").children.length >= MAX_PRODUCTS;
  $("#add-promotion").disabled = $("#promotions").children.length >= MAX_PROMOTIONS;
}

function fillConfig(config) {
  for (const input of document.querySelectorAll("#booth-form [data-path]")) {
    const [a, b] = input.dataset.path.split(".");
    const value = b ? config[a]?.[b] : config[a];
    input.value = value ?? (input.type === "color" ? "#c0392b" : "");
  }
  paintAwning();
  $("#products").replaceChildren();
  $("#promotions").replaceChildren();
  (config.products || []).forEach(addProduct);
  (config.promotions || []).forEach(addPromotion);
}

function fillForm(booth) {
  const config = booth.draft || booth.published || {};
  state.issued = booth.issued || {};
  state.photos = booth.photos || {};
  fillConfig(config);
  $("#slot-label").textContent = booth.slot;
  const published = booth.published ? "เผยแพร่แล้ว" : "ยังไม่เผยแพร่";
  const publishedEn = booth.published ? "Published" : "Not published yet";
  $("#publish-state").replaceChildren(
    ...both(
      `${published}${booth.hidden ? " · ถูกซ่อนโดยผู้ดูแล" : ""}`,
      `${publishedEn}${booth.hidden ? " · hidden by the admin" : ""}`,
    ),
  );
}

// -- edits not yet saved: kept in this browser, and leaving asks first -----------------------

function draftKey() {
  return `${DRAFT_KEY}${state.slot}`;
}

let draftTimer = null;
function markDirty() {
  state.dirty = true;
  clearTimeout(draftTimer);
  draftTimer = setTimeout(() => {
    try {
      localStorage.setItem(draftKey(), JSON.stringify(readForm()));
    } catch {
      // No storage: the warning on leaving still protects the edits.
    }
  }, 300);
}

function forgetDraft() {
  clearTimeout(draftTimer);
  state.dirty = false;
  $("#restored").hidden = true;
  try {
    localStorage.removeItem(draftKey());
  } catch {
    // nothing kept
  }
}

/** Edits kept from before a reload (different from what the server has) go back in the form. */
function restoreDraft() {
  let kept = null;
  try {
    kept = JSON.parse(localStorage.getItem(draftKey()) || "null");
  } catch {
    kept = null;
  }
  if (!kept || JSON.stringify(kept) === JSON.stringify(readForm())) return;
  fillConfig(kept);
  state.dirty = true;
  $("#restored").hidden = false;
}

function paintAwning() {
  $("#awning-swatch").style.background = $('[data-path="awning"]').value;
}

function readForm() {
  const text = (path) => $(`[data-path="${path}"]`).value;
  const field = (item, name) => $(`[data-field="${name}"]`, item).value;
  return {
    name: { th: text("name.th"), en: text("name.en") },
    description: { th: text("description.th"), en: text("description.en") },
    awning: text("awning"),
    products: [...$("#products").children].map((item) => ({
      name: { th: field(item, "name.th"), en: field(item, "name.en") },
      price: field(item, "price").trim(),
      photo: item.dataset.photo || null,
    })),
    promotions: [...$("#promotions").children].map((item) => ({
      id: item.dataset.id || null,
      title: { th: field(item, "title.th"), en: field(item, "title.en") },
      cost: field(item, "cost").trim(),
      coupons: field(item, "coupons").trim(),
      per_visitor: field(item, "per_visitor").trim(),
      daily_stock: field(item, "daily_stock").trim(),
      requires_sign_in: $('[data-field="requires_sign_in"]', item).checked,
      valid_from: fromLocalInput(field(item, "valid_from")),
      valid_to: fromLocalInput(field(item, "valid_to")),
    })),
  };
}

function clearErrors() {
  for (const node of document.querySelectorAll(".field-error")) node.remove();
  for (const node of document.querySelectorAll("[data-error-for]")) node.replaceChildren();
  for (const node of document.querySelectorAll("[aria-invalid]")) {
    node.removeAttribute("aria-invalid");
    node.removeAttribute("aria-describedby");
  }
}

/** Required fields left empty, as errors in the server's shape ({path, th, en}). */
function missing() {
  const errors = [];
  const need = (input, path) => {
    if (input && !input.value.trim()) errors.push({ path, th: "ต้องกรอก", en: "required" });
  };
  for (const input of document.querySelectorAll("#booth-form [data-path][required]")) {
    need(input, input.dataset.path);
  }
  for (const list of ["products", "promotions"]) {
    [...$(`#${list}`).children].forEach((item, i) => {
      for (const input of item.querySelectorAll("[data-field][required]")) {
        need(input, `${list}[${i}].${input.dataset.field}`);
      }
    });
  }
  return errors;
}

/** Put each error next to its field (and name it there for screen readers); errors without a
 * field go to their section. Focus goes to the first field to fix. */
function showErrors(errors) {
  let first = null;
  errors.forEach((error, n) => {
    const input = fieldFor(error.path);
    const id = `err-${n}`;
    const message = el("p", { class: "err field-error", id }, "⚠ ", ...both(error.th, error.en));
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id);
      input.closest("label").after(message);
      first = first || input;
    } else {
      const section = $(`[data-error-for="${error.path.split(/[.[]/)[0] || "name"}"]`);
      (section || $("#form-status")).append(message);
    }
  });
  if (first) first.focus();
}

function fieldFor(path) {
  const m = /^(products|promotions)\[(\d+)\]\.(.+)$/.exec(path);
  if (!m) return document.querySelector(`[data-path="${CSS.escape(path)}"]`);
  const item = $(`#${m[1]}`).children[Number(m[2])];
  if (!item) return null;
  const name = m[3] === "photo" ? "photo-file" : m[3];
  return item.querySelector(`[data-field="${CSS.escape(name)}"]`);
}

async function save(event) {
  event.preventDefault();
  clearErrors();
  const status = $("#form-status");
  const empty = missing();
  const button = $("#save");
  button.disabled = true;
  setStatus(status, "info", "กำลังบันทึก…", "Saving…");
  try {
    if (empty.length) {
      // Not published with empty required fields, but the server still checks the rest, so
      // the owner sees every problem at once.
      await api("PUT", `/owner/api/booths/${state.slot}/draft`, readForm()).catch((err) => {
        const found = (err.body?.errors || []).filter((e) => !empty.some((m) => m.path === e.path));
        empty.push(...found);
      });
      showErrors(empty);
      setStatus(
        status,
        "bad",
        `ยังไม่ได้บันทึก: แก้ ${empty.length} ช่องที่มีข้อความสีแดง (ช่องที่มี * ต้องกรอก)`,
        `Not saved: fix the ${empty.length} field(s) shown in red (fields marked * are required)`,
      );
      return;
    }
    await api("PUT", `/owner/api/booths/${state.slot}/draft`, readForm());
    const booth = await api("POST", `/owner/api/booths/${state.slot}/publish`);
    forgetDraft();
    fillForm(booth);
    setStatus(
      status,
      "good",
      "บันทึกและเผยแพร่แล้ว ผู้เยี่ยมชมเห็นทันที",
      "Saved and published: visitors see it now.",
    );
  } catch (err) {
    const errors = err.body?.errors || [];
    if (errors.length) {
      showErrors(errors);
      setStatus(
        status,
        "bad",
        `ยังไม่ได้บันทึก: แก้ ${errors.length} ช่องที่มีข้อความสีแดง`,
        `Not saved: fix the ${errors.length} field(s) shown in red`,
      );
    } else {
      setStatus(status, "bad", err.body?.th || "บันทึกไม่สำเร็จ", err.message);
    }
    if (err.status === 401) signedOut();
  } finally {
    button.disabled = false;
  }
}

// -- coupons ------------------------------------------------------------------------------------

async function verify(event) {
  event.preventDefault();
  const input = $("#code");
  const result = $("#verify-result");
  const code = cleanCode(input.value);
  if (!code) {
    setStatus(result, "bad", "พิมพ์รหัสคูปองก่อน", "Type the coupon code first");
    input.focus();
    return;
  }
  try {
    const answer = await api("POST", `/owner/api/booths/${state.slot}/coupons/verify`, { code });
    const c = answer.coupon;
    result.dataset.tone = "good";
    result.replaceChildren(
      el("strong", {}, ...both("✔ ใช้ได้ — บันทึกว่าใช้แล้ว", "Valid — now marked used")),
      el("p", { text: `${c.code} · ${c.title.th}${c.title.en ? ` · ${c.title.en}` : ""}` }),
    );
    input.value = "";
    loadRedemptions();
  } catch (err) {
    result.dataset.tone = "bad";
    result.replaceChildren(
      el("strong", {}, ...both(`✘ ${err.body?.th || "ตรวจไม่สำเร็จ"}`, err.message)),
    );
    if (err.status === 401) signedOut();
  }
}

/** A code as typed or scanned: letters and digits only, upper case (the QR holds the code). */
function cleanCode(raw) {
  return String(raw || "")
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, "");
}

let scanning = null;

function stopScan() {
  if (!scanning) return;
  scanning.stream.getTracks().forEach((t) => t.stop());
  scanning = null;
  $("#scanner").hidden = true;
  $("#scan").hidden = false;
}

async function scan() {
  const status = $("#scan-status");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    setStatus($("#verify-result"), "bad", "เปิดกล้องไม่ได้ พิมพ์รหัสแทน", "No camera: type the code");
    return;
  }
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  const video = $("#camera");
  video.srcObject = stream;
  $("#scanner").hidden = false;
  $("#scan").hidden = true;
  status.replaceChildren(
    ...both("ส่องกล้องไปที่คิวอาร์โค้ดของคูปอง", "Point the camera at the coupon's QR code"),
  );
  scanning = { stream, started: Date.now() };
  const mine = scanning;
  await video.play().catch(() => null);
  const look = async () => {
    if (scanning !== mine) return;
    if (Date.now() - mine.started > SCAN_GIVE_UP_MS) {
      stopScan();
      return;
    }
    const codes = await detector.detect(video).catch(() => []);
    const code = codes.map((c) => cleanCode(c.rawValue)).find((c) => c.length >= 4);
    if (code) {
      stopScan();
      $("#code").value = code;
      $("#verify-form").requestSubmit();
      return;
    }
    setTimeout(look, 150);
  };
  look();
}

async function loadRedemptions() {
  const body = $("#redemptions tbody");
  try {
    const { redemptions } = await api("GET", `/owner/api/booths/${state.slot}/redemptions`);
    body.replaceChildren(
      ...redemptions.map((r) =>
        el(
          "tr",
          {},
          el("td", { class: "code", text: r.code }),
          el("td", { text: r.title.th }),
          el("td", { text: showTime(r.issued_at) }),
          el("td", {}, ...(r.used_at ? both("ใช้แล้ว", "used") : both("ยังไม่ใช้", "not used"))),
        ),
      ),
    );
  } catch (err) {
    if (err.status === 401) signedOut();
  }
}

// -- signing in and out -----------------------------------------------------------------------

function signedOut() {
  stopScan();
  $("#editor").hidden = true;
  $("#sign-out").hidden = true;
  $("#jump-verify").hidden = true;
  $("#signed-out").hidden = false;
  $("#who").textContent = "";
}

async function signInFromLink() {
  const params = new URLSearchParams(location.search);
  const token = location.hash.slice(1) || params.get("token");
  if (!token) return null;
  history.replaceState(null, "", "/owner"); // the secret leaves the address bar at once
  try {
    return await api("POST", "/owner/api/login", { token });
  } catch (err) {
    setStatus($("#status"), "bad", err.body?.th || "เข้าสู่ระบบไม่สำเร็จ", err.message);
    return "failed";
  }
}

async function openSlot(slot) {
  state.slot = slot;
  const booth = await api("GET", `/owner/api/booths/${slot}`);
  state.dirty = false;
  $("#restored").hidden = true;
  fillForm(booth);
  restoreDraft();
  $("#verify-result").replaceChildren();
  loadRedemptions();
  loadBoothFigures(slot, api).catch(() => null);
}

async function start() {
  fetch("/api/signin/providers")
    .then((r) => (r.ok ? r.json() : { providers: [] }))
    .then((body) => {
      state.signInProviders = body.providers.length > 0;
      for (const node of document.querySelectorAll(".signin-only")) {
        node.hidden = node.hidden && !state.signInProviders;
      }
    })
    .catch(() => null);
  $("#booth-form").addEventListener("submit", save);
  $("#add-product").addEventListener("click", () => {
    addProduct();
    markDirty();
  });
  $("#add-promotion").addEventListener("click", () => {
    addPromotion();
    markDirty();
  });
  $('[data-path="awning"]').addEventListener("input", paintAwning);
  $("#verify-form").addEventListener("submit", verify);
  $("#reload-redemptions").addEventListener("click", loadRedemptions);
  $("#slot").addEventListener("change", (e) => openSlot(e.target.value));
  $("#sign-out").addEventListener("click", async () => {
    await api("POST", "/owner/api/logout").catch(() => null);
    signedOut();
  });
  if ("BarcodeDetector" in window && navigator.mediaDevices?.getUserMedia) {
    $("#scan").hidden = false;
    $("#scan").addEventListener("click", scan);
    $("#scan-stop").addEventListener("click", stopScan);
  }
  $("#booth-form").addEventListener("input", markDirty);
  $("#booth-form").addEventListener("change", markDirty);
  $("#discard").addEventListener("click", async () => {
    forgetDraft();
    await openSlot(state.slot);
  });
  window.addEventListener("beforeunload", (e) => {
    if (!state.dirty) return;
    e.preventDefault();
    e.returnValue = ""; // the browser asks "leave the page?"
  });
  $("#jump-verify").addEventListener("click", (e) => {
    e.preventDefault();
    $("#verify-card").scrollIntoView({ block: "start" });
    $("#code").focus();
  });
  let me = await signInFromLink();
  if (me === "failed") {
    signedOut();
    return;
  }
  if (!me) {
    try {
      me = await api("GET", "/owner/api/me");
    } catch {
      $("#status").hidden = true;
      signedOut();
      return;
    }
  }
  state.csrf = me.csrf;
  state.slots = me.slots;
  $("#status").hidden = true;
  $("#who").textContent = me.name;
  $("#sign-out").hidden = false;
  $("#jump-verify").hidden = false;
  $("#editor").hidden = false;
  $("#slot").replaceChildren(...me.slots.map((s) => el("option", { value: s, text: s })));
  $("#slot-picker").hidden = me.slots.length < 2;
  if (me.slots.length) await openSlot(me.slots[0]);
}

start();
