// The city's console: sign in with a one-time link, then the sections the operator's role may
// use (the server says which in /api/admin/me "powers"). Text only through textContent: nothing
// a visitor wrote is ever parsed as HTML.

import { ReportReason } from "/static/protocol.js";
import { loadFigures, setupFigures } from "/admin/static/figures.js";
import { loadDialogue } from "./dialogue.js";
import { loadEvents } from "./events.js";
import { loadPrivacy } from "./privacy.js";

const $ = (sel) => document.querySelector(sel);
const state = { csrf: "", powers: [], auditAfter: 0 };

/** Reasons as the visitor and the moderator read them (the same words the visitor is told). */
const REASONS = {
  SPAM: ["สแปมหรือโฆษณา", "Spam or advertising"],
  HARASSMENT: ["ก่อกวนหรือคุกคาม", "Harassment"],
  HATE: ["ถ้อยคำแสดงความเกลียดชัง", "Hateful words"],
  SEXUAL: ["เนื้อหาทางเพศ", "Sexual content"],
  SCAM: ["หลอกลวง", "Scam"],
  OTHER: ["อื่น ๆ", "Other"],
};
const TARGETS = {
  avatar: ["อวตาร", "Avatar"],
  chat: ["ข้อความแชท", "Chat message"],
  booth: ["ซุ้มร้าน", "Booth"],
  opinion: ["ความเห็นในสานเสวนา", "Dialogue opinion"],
};
const ACTIONS = [
  ["warn", "ตักเตือน", "Warn"],
  ["mute", "ปิดแชทชั่วคราว", "Mute for a while"],
  ["unmute", "เปิดแชทคืน", "Unmute"],
  ["kick", "นำออกจากถนน", "Kick"],
  ["ban", "ห้ามเข้า", "Ban"],
  ["unban", "ยกเลิกการห้ามเข้า", "Lift a ban"],
  ["ban-address", "ห้ามเข้าทั้งช่วงที่อยู่ IP", "Ban an address prefix"],
  ["unban-address", "ยกเลิกการห้ามช่วงที่อยู่ IP", "Lift an address ban"],
];
const SECTIONS = [
  ["queue", "moderate", "รายงานรอตรวจ", "Moderation queue"],
  ["shops", "revoke_owner", "ร้านค้า", "Shops"],
  ["audit", "audit", "บันทึกการทำงาน", "Audit log"],
  ["figures", "figures", "ตัวเลขการใช้งาน", "Figures"],
  ["dialogue", "moderate", "สานเสวนา", "Dialogue"],
  ["events", "events", "กิจกรรม", "Events"],
  ["privacy", "privacy", "ข้อมูลส่วนบุคคล", "Data protection"],
];
const BANGKOK = new Intl.DateTimeFormat("th-TH", {
  timeZone: "Asia/Bangkok",
  dateStyle: "medium",
  timeStyle: "short",
});

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

function both(th, en) {
  return [el("span", { text: th }), " ", el("span", { class: "en", lang: "en", text: en })];
}

/** A quiet button saying `th` then `en`. */
function button(th, en, onclick) {
  const b = el("button", { type: "button", class: "quiet" }, ...both(th, en));
  b.addEventListener("click", onclick);
  return b;
}

/** A labelled form field: `input` gets the id `id`, the label says `th` then `en`. */
function field(id, th, en, input) {
  input.id = id;
  return el("p", {}, el("label", { for: id }, ...both(th, en)), input);
}

function setStatus(node, tone, th, en) {
  node.dataset.tone = tone;
  node.hidden = false;
  node.replaceChildren(...both(th, en));
}

function when(unix) {
  return BANGKOK.format(new Date(unix * 1000));
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.en || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function api(method, path, body) {
  const headers = {};
  if (method !== "GET") headers["X-CSRF-Token"] = state.csrf;
  let payload;
  if (body !== undefined) {
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
  if (!response.ok) {
    if (response.status === 401) signedOut();
    throw new ApiError(response.status, data);
  }
  return data;
}

function failed(node, err) {
  setStatus(node, "bad", err.body?.th || "ทำรายการไม่สำเร็จ", err.message);
}

// -- the moderation queue ---------------------------------------------------------------------

function reasonOptions(select, chosen = "OTHER") {
  select.replaceChildren(
    ...Object.keys(ReportReason).map((name) =>
      el("option", {
        value: ReportReason[name],
        selected: name === chosen,
        text: `${REASONS[name][0]} · ${REASONS[name][1]}`,
      }),
    ),
  );
}

async function sanction(body, resultNode) {
  try {
    await api("POST", "/api/admin/sanctions", body);
    setStatus(
      resultNode,
      "good",
      "ดำเนินการแล้ว ผู้เยี่ยมชมได้รับแจ้งเหตุผล",
      "Done; the visitor was told why.",
    );
    return true;
  } catch (err) {
    failed(resultNode, err);
    return false;
  }
}

function contextList(lines) {
  if (!lines.length) return null;
  return el(
    "details",
    {},
    el("summary", {}, ...both(`ข้อความใกล้เคียง (${lines.length})`, "Chat nearby")),
    el(
      "ol",
      { class: "context" },
      ...lines.map((l) =>
        el(
          "li",
          {},
          el("b", { text: l.name }),
          ` ${l.text} `,
          el("small", { text: `${l.ago_s} วินาทีก่อน · ${l.ago_s} s ago` }),
        ),
      ),
    ),
  );
}

function reportCard(r) {
  const reason = r.reason.toUpperCase();
  const result = el("p", { class: "status", role: "status", "aria-live": "polite", hidden: true });
  const title = el(
    "h3",
    {},
    `#${r.seq} `,
    ...both(TARGETS[r.target][0], TARGETS[r.target][1]),
    " — ",
    ...both(REASONS[reason][0], REASONS[reason][1]),
  );
  const facts = el("dl", { class: "facts" });
  const fact = (th, en, value) => {
    if (value == null || value === "") return;
    facts.append(el("dt", {}, ...both(th, en)), el("dd", { text: String(value) }));
  };
  fact("เมื่อ", "When", when(r.at));
  fact("ชื่อที่แสดง", "Name", r.name);
  fact("รหัสผู้เยี่ยมชม", "Visitor id", r.visitor_id);
  if (r.target === "opinion") fact("คำถาม#ความเห็น", "Question#opinion", r.slot);
  else fact("ซุ้ม", "Booth", r.slot);
  fact("ข้อความที่รายงาน", "Reported message", r.said);
  fact("หมายเหตุจากผู้รายงาน", "Reporter's note", r.note);
  fact("สถานะ", "Status", r.status === "open" ? "รอตรวจ · open" : "จัดการแล้ว · closed");
  const card = el("li", { class: "card report" }, title, facts, contextList(r.context));
  if (r.status !== "open") {
    card.classList.add("closed");
    return card;
  }
  const reasonSelect = el("select", { id: `reason-${r.seq}` });
  reasonOptions(reasonSelect, reason);
  const minutes = el("select", { id: `minutes-${r.seq}` });
  for (const [m, th, en] of [
    [10, "10 นาที", "10 min"],
    [60, "1 ชั่วโมง", "1 hour"],
    [1440, "1 วัน", "1 day"],
  ])
    minutes.append(el("option", { value: m, text: `${th} · ${en}` }));
  const buttons = el("div", { class: "actions" });
  const act = (action, th, en, extra = {}) => {
    const b = el("button", { type: "button" }, ...both(th, en));
    if (action === "ban" || action === "kick") b.classList.add("danger");
    b.addEventListener("click", async () => {
      const ok = await sanction(
        {
          action,
          target: r.visitor_id,
          reason: Number(reasonSelect.value),
          report: r.seq,
          ...extra(),
        },
        result,
      );
      if (ok) card.classList.add("closed");
    });
    buttons.append(b);
  };
  const pickers = el("div", { class: "pickers" });
  if (r.visitor_id) {
    pickers.append(
      el(
        "label",
        { for: reasonSelect.id },
        ...both("เหตุผลที่แจ้งผู้เยี่ยมชม", "Reason the visitor is told"),
      ),
      reasonSelect,
      el("label", { for: minutes.id }, ...both("ปิดแชทนาน", "Mute for")),
      minutes,
    );
    act("warn", "ตักเตือน", "Warn", () => ({}));
    act("mute", "ปิดแชท", "Mute", () => ({ minutes: Number(minutes.value) }));
    act("kick", "นำออก", "Kick", () => ({}));
    act("ban", "ห้ามเข้า", "Ban", () => ({}));
  } else if (r.target !== "booth") {
    pickers.append(
      el(
        "p",
        { class: "hint" },
        ...both(
          "ไม่ทราบรหัสผู้เยี่ยมชมของผู้ถูกรายงาน (อยู่บนเซิร์ฟเวอร์อื่น หรือเข้ามาโดยไม่มีรหัส)",
          "The reported visitor's id is not known (on another server process, or without one).",
        ),
      ),
    );
  }
  if (r.slot && r.target === "opinion") {
    const [question, number] = r.slot.split("#");
    const hide = el(
      "button",
      { type: "button", class: "danger" },
      ...both("ซ่อนความเห็นนี้", "Hide this opinion"),
    );
    hide.addEventListener("click", async () => {
      try {
        const path = `/api/admin/dialogue/${encodeURIComponent(question)}/opinions/${number}/hide`;
        await api("POST", path, { hidden: true });
        await api("POST", `/api/admin/reports/${r.seq}/close`, { note: "hid the opinion" });
        setStatus(result, "good", "ซ่อนความเห็นแล้ว", "The opinion is hidden.");
        card.classList.add("closed");
      } catch (err) {
        failed(result, err);
      }
    });
    buttons.append(hide);
  }
  if (r.slot && r.target === "booth") {
    const hide = el(
      "button",
      { type: "button", class: "danger" },
      ...both("ซ่อนซุ้มนี้", "Hide this booth"),
    );
    hide.addEventListener("click", async () => {
      try {
        await api("POST", `/api/admin/booths/${encodeURIComponent(r.slot)}/hide`, { hidden: true });
        await api("POST", `/api/admin/reports/${r.seq}/close`, { note: "hid the booth" });
        setStatus(result, "good", "ซ่อนซุ้มแล้ว", "The booth is hidden.");
        card.classList.add("closed");
      } catch (err) {
        failed(result, err);
      }
    });
    buttons.append(hide);
  }
  const close = el(
    "button",
    { type: "button", class: "quiet" },
    ...both("ปิดรายงานโดยไม่ดำเนินการ", "Close, no action"),
  );
  close.addEventListener("click", async () => {
    try {
      await api("POST", `/api/admin/reports/${r.seq}/close`, { note: "no action" });
      setStatus(result, "good", "ปิดรายงานแล้ว", "Closed.");
      card.classList.add("closed");
    } catch (err) {
      failed(result, err);
    }
  });
  buttons.append(close);
  card.append(pickers, buttons, result);
  return card;
}

async function loadQueue() {
  const line = $("#queue-status-line");
  try {
    const { reports } = await api("GET", `/api/admin/reports?status=${$("#queue-status").value}`);
    $("#reports").replaceChildren(...reports.map(reportCard));
    if (reports.length) line.hidden = true;
    else setStatus(line, "good", "ไม่มีรายงานรอตรวจ", "No reports waiting.");
  } catch (err) {
    failed(line, err);
  }
}

async function direct(event) {
  event.preventDefault();
  const choice = $("#direct-action").value;
  const byAddress = choice.endsWith("-address");
  const body = {
    action: byAddress ? choice.replace("-address", "") : choice,
    target: $("#direct-target").value.trim(),
    reason: Number($("#direct-reason").value),
    by_address: byAddress,
  };
  const minutes = $("#direct-minutes").value;
  if (minutes) body.minutes = Number(minutes);
  await sanction(body, $("#direct-result"));
}

async function loadWords() {
  const { words } = await api("GET", "/api/admin/words");
  $("#words-text").value = words.join("\n");
}

async function saveWords(event) {
  event.preventDefault();
  const words = $("#words-text")
    .value.split("\n")
    .filter((w) => w.trim());
  try {
    const saved = await api("PUT", "/api/admin/words", { words });
    $("#words-text").value = saved.words.join("\n");
    setStatus(
      $("#words-result"),
      "good",
      `บันทึกแล้ว ${saved.words.length} คำ`,
      `Saved ${saved.words.length} words.`,
    );
  } catch (err) {
    failed($("#words-result"), err);
  }
}

async function hideBooth(event) {
  event.preventDefault();
  const hidden = event.submitter?.dataset.hidden !== "false";
  const slot = $("#booth-slot").value.trim().toUpperCase();
  try {
    await api("POST", `/api/admin/booths/${encodeURIComponent(slot)}/hide`, { hidden });
    const [th, en] = hidden ? ["ซ่อนซุ้มแล้ว", "hidden"] : ["แสดงซุ้มแล้ว", "shown"];
    setStatus($("#booth-result"), "good", `${slot}: ${th}`, `${slot} is ${en}.`);
  } catch (err) {
    failed($("#booth-result"), err);
  }
}

// -- shops (admin) ----------------------------------------------------------------------------

async function loadShops() {
  const { owners } = await api("GET", "/api/admin/owners");
  $("#shop-list").replaceChildren(
    ...owners.map((o) => {
      const item = el("li", {}, el("b", { text: o.name }), ` (${o.shop_id}) `, o.slots.join(", "));
      if (o.revoked_at != null) {
        item.append(" ", el("small", { text: "ยกเลิกแล้ว · revoked" }));
        return item;
      }
      const revoke = el(
        "button",
        { type: "button", class: "danger" },
        ...both("ยกเลิกสิทธิ์ร้านนี้", "Revoke this owner"),
      );
      revoke.addEventListener("click", async () => {
        if (!confirm(`ยกเลิกสิทธิ์ ${o.name}? · Revoke ${o.shop_id}?`)) return;
        try {
          await api("POST", `/api/admin/owners/${encodeURIComponent(o.shop_id)}/revoke`);
          setStatus($("#shops-result"), "good", "ยกเลิกสิทธิ์แล้ว", "Revoked: every session ended.");
          await loadShops();
        } catch (err) {
          failed($("#shops-result"), err);
        }
      });
      item.append(" ", revoke);
      return item;
    }),
  );
}

// -- audit log (admin) ------------------------------------------------------------------------

async function loadAudit() {
  const { actions } = await api("GET", `/api/admin/audit?after=${state.auditAfter}&limit=200`);
  for (const a of actions) {
    $("#audit-rows").append(
      el(
        "tr",
        {},
        el("td", { text: String(a.seq) }),
        el("td", { text: when(a.at) }),
        el("td", { text: a.actor }),
        el("td", { text: a.action }),
        el("td", { text: [a.slot, a.detail].filter(Boolean).join(" ") }),
      ),
    );
    state.auditAfter = a.seq;
  }
  $("#audit-more").hidden = actions.length < 200;
}

// -- navigation, signing in and out -------------------------------------------------------------

const LOADERS = {
  queue: () => Promise.all([loadQueue(), loadWords()]),
  shops: loadShops,
  audit: loadAudit,
  figures: () => loadFigures(api, failed),
  dialogue: () =>
    loadDialogue($("#dialogue"), {
      api,
      el,
      both,
      button,
      field,
      setStatus,
      failed,
      when,
      canWrite: state.powers.includes("dialogue"),
    }),
  events: () => loadEvents($("#events"), { api, el, both, button, field, setStatus, failed, when }),
  privacy: () =>
    loadPrivacy($("#privacy"), { api, el, both, button, field, setStatus, failed, when }),
};

function show(name) {
  const allowed = SECTIONS.filter(([, power]) => state.powers.includes(power)).map(([id]) => id);
  if (!allowed.includes(name)) name = allowed[0];
  $("#no-sections").hidden = Boolean(name);
  for (const [id] of SECTIONS) $(`#${id}`).hidden = id !== name;
  for (const link of document.querySelectorAll("#nav a"))
    link.setAttribute("aria-current", link.dataset.section === name ? "page" : "false");
  if (name) LOADERS[name]().catch(() => null);
}

function signedOut() {
  $("#nav").hidden = true;
  $("#sign-out").hidden = true;
  for (const [id] of SECTIONS) $(`#${id}`).hidden = true;
  $("#no-sections").hidden = true;
  $("#signed-out").hidden = false;
  $("#who").textContent = "";
}

async function signInFromLink() {
  const token = location.hash.slice(1);
  if (!token || SECTIONS.some(([id]) => id === token)) return null;
  history.replaceState(null, "", "/admin"); // the secret leaves the address bar at once
  try {
    return await api("POST", "/api/admin/login", { token });
  } catch (err) {
    failed($("#status"), err);
    return "failed";
  }
}

async function start() {
  $("#sign-out").addEventListener("click", async () => {
    await api("POST", "/api/admin/logout").catch(() => null);
    signedOut();
  });
  $("#queue-reload").addEventListener("click", loadQueue);
  $("#queue-status").addEventListener("change", loadQueue);
  $("#direct").addEventListener("submit", direct);
  $("#words").addEventListener("submit", saveWords);
  $("#booth").addEventListener("submit", hideBooth);
  $("#audit-more").addEventListener("click", loadAudit);
  $("#direct-action").replaceChildren(
    ...ACTIONS.map(([value, th, en]) => el("option", { value, text: `${th} · ${en}` })),
  );
  reasonOptions($("#direct-reason"));
  setupFigures(api, failed);
  let me = await signInFromLink();
  if (me === "failed") return signedOut();
  if (!me) {
    try {
      me = await api("GET", "/api/admin/me");
    } catch {
      $("#status").hidden = true;
      return signedOut();
    }
  }
  state.csrf = me.csrf;
  state.powers = me.powers;
  $("#status").hidden = true;
  $("#who").textContent = `${me.name} (${me.role})`;
  $("#sign-out").hidden = false;
  const links = SECTIONS.filter(([, power]) => me.powers.includes(power)).map(([id, , th, en]) =>
    el("a", { href: `#${id}`, "data-section": id }, ...both(th, en)),
  );
  $("#nav").replaceChildren(...links);
  $("#nav").hidden = !links.length;
  window.addEventListener("hashchange", () => show(location.hash.slice(1)));
  show(location.hash.slice(1));
}

start();
