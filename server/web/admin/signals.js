// The abuse signals of /metrics in the console's economy section, from
// /api/admin/figures/signals: the busiest address's new identities this hour (never the
// address) and each booth's coupons over the last hour with its busiest minute (hidden, as
// "—", unless 5 distinct visitors bought there). A table with a CSV download.

import { cell, download, row } from "/admin/static/charts.js";

const $ = (sel) => document.querySelector(sel);
let latest = null;

const HEAD = [
  "ซุ้ม · Booth",
  "คูปองในชั่วโมงล่าสุด · Coupons, last hour",
  "มากที่สุดในหนึ่งนาที · Busiest minute",
];

function rows(data) {
  return data.booths.map((b) => [b.slot, cell(b.coupons), cell(b.busiest_minute)]);
}

function render(data) {
  latest = data;
  $("#signals-identities").textContent = cell(data.busiest_new_identities);
  $("#signals-rows").replaceChildren(...rows(data).map((r) => row(r, 0)));
  $("#signals-empty").hidden = data.booths.length > 0;
}

/** Load the signals now; ``api`` is the console's fetch wrapper. */
export async function loadSignals(api, failed) {
  try {
    render(await api("GET", "/api/admin/figures/signals"));
  } catch (err) {
    failed($("#figures-result"), err);
  }
}

export function setupSignals(api, failed) {
  $("#signals-reload").addEventListener("click", () => loadSignals(api, failed));
  $("#signals-csv").addEventListener("click", () => {
    if (!latest) return;
    const when = new Intl.DateTimeFormat("sv-SE", {
      timeZone: "Asia/Bangkok",
      dateStyle: "short",
      timeStyle: "short",
    })
      .format(new Date())
      .replace(/[ :]/g, "-");
    const identities = [
      "ตัวตนใหม่มากที่สุดจากที่อยู่เดียวในชั่วโมงนี้ · Most new identities from one address this hour",
      cell(latest.busiest_new_identities),
      "",
    ];
    download(`abuse-signals-${when}.csv`, [HEAD, ...rows(latest), identities]);
  });
}
