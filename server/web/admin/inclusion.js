// The console's inclusion figures: the share of each day's visitors using the list mode, each
// language, larger text, narration and each kind of device (/api/admin/figures/inclusion). A
// share the server suppressed (a group under five, or one that would show such a group by
// subtraction) comes back as null and shows as "—".

import { cell, chart, download, row } from "/admin/static/charts.js";

const $ = (sel) => document.querySelector(sel);
const LABELS = {
  "list_mode:on": ["โหมดรายการ", "List mode"],
  "larger_text:on": ["ตัวอักษรใหญ่", "Larger text"],
  "narration:on": ["อ่านออกเสียง", "Narration"],
  "lang:th": ["ภาษาไทย", "Thai"],
  "lang:en": ["ภาษาอังกฤษ", "English"],
  "device:phone": ["โทรศัพท์", "Phone"],
  "device:tablet": ["แท็บเล็ต", "Tablet"],
  "device:desktop": ["คอมพิวเตอร์", "Desktop"],
};
let latest = null;

function label([setting, value]) {
  return LABELS[`${setting}:${value}`] || [`${setting} ${value}`, `${setting} ${value}`];
}

function head(data) {
  return ["วันที่ · Day", "ผู้เยี่ยมชม · Visitors", ...data.columns.map((c) => label(c).join(" · "))];
}

function rows(data) {
  const days = data.days.map((d) => [
    d.day,
    cell(d.visitors),
    ...d.shares.map((s) => cell(s, true)),
  ]);
  const total = data.total;
  return [
    ...days,
    ["ทั้งช่วง · All days", cell(total.visitors), ...total.shares.map((s) => cell(s, true))],
  ];
}

function headCell(text) {
  const th = document.createElement("th");
  th.scope = "col";
  const [thai, english] = text.split(" · ");
  th.append(thai);
  if (english) {
    const en = document.createElement("span");
    en.lang = "en";
    en.textContent = ` ${english}`;
    th.append(en);
  }
  return th;
}

export function renderInclusion(data) {
  latest = data;
  $("#inclusion-head").replaceChildren(...head(data).map(headCell));
  $("#inclusion-rows").replaceChildren(...rows(data).map((r) => row(r, 0)));
  const shown = data.columns
    .map((c, i) => [label(c)[0], data.total.shares[i]])
    .filter(([, share]) => share != null);
  chart(
    "inclusion-chart",
    shown.map(([name]) => name),
    [
      {
        label: "ส่วนของผู้เยี่ยมชม · Share of visitors",
        data: shown.map(([, share]) => share),
        backgroundColor: "#5b3f8c",
      },
    ],
    true,
  );
}

export function setupInclusion() {
  $("#inclusion-csv").addEventListener("click", () => {
    if (latest)
      download(`inclusion-${latest.from}-${latest.to}.csv`, [head(latest), ...rows(latest)]);
  });
}
