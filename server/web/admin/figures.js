// The console's figures: aggregate tables from /api/admin/figures/…, each with a chart
// (Chart.js, served from /vendor/chartjs/) and a CSV download (the inclusion figures: inclusion.js). Groups under five come back as
// null from the server and show as "—" here; the charts leave them out.

import { drawChart } from "/static/js/chart.js";
import { cell, chart, download, row } from "/admin/static/charts.js";
import { renderInclusion, setupInclusion } from "/admin/static/inclusion.js";
import { loadSignals, setupSignals } from "/admin/static/signals.js";

const $ = (sel) => document.querySelector(sel);
let latest = null;
let money = null;

const QUIZ_HEAD = [
  "สถานที่ · Landmark",
  "คำถาม · Quiz",
  "เปิด · Opens",
  "ผู้ตอบ · Answered",
  "ถูกครั้งแรก · Right first try",
  "ความยาก · Difficulty",
  "จำนวนครั้งเฉลี่ย · Average attempts",
];
const FUNNEL_HEAD = [
  "ภารกิจ · Quest",
  "ชื่อ · Title",
  "ขั้น · Step",
  "ผู้เยี่ยมชม · Visitors",
  "หลุดออก · Drop-off",
];

function quizRows(data) {
  return data.quizzes.map((q) => [
    q.landmark ?? "",
    q.quiz,
    cell(q.opens),
    cell(q.answered),
    cell(q.first_try_right, true),
    cell(q.difficulty, true),
    cell(q.average_attempts),
  ]);
}

function funnelRows(data) {
  return data.quests.flatMap((f) =>
    f.steps.map((s) => [
      f.quest,
      f.title ? `${f.title.th} · ${f.title.en}` : "",
      String(s.step),
      cell(s.visitors),
      cell(s.drop_off, true),
    ]),
  );
}

function render(data) {
  latest = data;
  $("#figures-range").textContent = `${data.from} – ${data.to}`;
  $("#quiz-rows").replaceChildren(...quizRows(data).map((r) => row(r, 1)));
  $("#funnel-rows").replaceChildren(...funnelRows(data).map((r) => row(r, 0)));
  $("#quiz-empty").hidden = data.quizzes.length > 0;
  $("#funnel-empty").hidden = data.quests.length > 0;
  const shownQuizzes = data.quizzes.filter((q) => q.first_try_right != null);
  chart(
    "quiz-chart",
    shownQuizzes.map((q) => q.quiz),
    [
      {
        label: "ถูกครั้งแรก · Right first try",
        data: shownQuizzes.map((q) => q.first_try_right),
        backgroundColor: "#1f6f8b",
      },
    ],
    true,
  );
  const steps = data.quests.flatMap((f) =>
    f.steps
      .filter((s) => s.visitors != null)
      .map((s) => [`${s.step} · ${f.title?.th ?? f.quest}`, s.visitors]),
  );
  chart(
    "funnel-chart",
    steps.map(([label]) => label),
    [
      {
        label: "ผู้เยี่ยมชม · Visitors",
        data: steps.map(([, n]) => n),
        backgroundColor: "#8a5a00",
      },
    ],
    false,
  );
}

const MONEY_HEAD = ["วันที่ · Day", "เหรียญที่ได้รับ · Tokens earned", "เหรียญที่แลก · Tokens redeemed"];
const BOOTH_HEAD = [
  "ซุ้ม · Booth",
  "คูปองที่ออก · Coupons issued",
  "เหรียญที่แลก · Tokens redeemed",
  "คูปองที่ใช้แล้ว · Coupons used",
];

function moneyRows(data) {
  return data.days.map((d) => [d.day, cell(d.earned), cell(d.redeemed)]);
}

function boothRows(data) {
  return data.booths.map((b) => [
    b.slot,
    cell(b.coupons_issued),
    cell(b.tokens_redeemed),
    cell(b.coupons_used),
  ]);
}

const TOTALS = [
  ["earned", "เหรียญที่ได้รับ · Tokens earned"],
  ["redeemed", "เหรียญที่แลกคูปอง · Tokens redeemed"],
  ["net", "เหรียญคงค้างเปลี่ยนไป · Change in tokens held"],
  ["coupons_issued", "คูปองที่ออก · Coupons issued"],
  ["coupons_used", "คูปองที่ใช้แล้ว · Coupons used"],
  ["outstanding", "เหรียญที่ผู้เยี่ยมชมถืออยู่ตอนนี้ · Tokens visitors hold now"],
];

function renderMoney(data) {
  money = data;
  $("#money-totals").replaceChildren(
    ...TOTALS.map(([key, label]) => row([label, cell(data.totals[key])], 0)),
  );
  $("#money-rows").replaceChildren(...moneyRows(data).map((r) => row(r, 0)));
  $("#booth-money-rows").replaceChildren(...boothRows(data).map((r) => row(r, 0)));
  $("#booth-money-empty").hidden = data.booths.length > 0;
  chart(
    "money-chart",
    data.days.map((d) => d.day.slice(5)),
    [
      {
        label: "ได้รับ · Earned",
        data: data.days.map((d) => d.earned),
        backgroundColor: "#1f6f8b",
      },
      {
        label: "แลก · Redeemed",
        data: data.days.map((d) => d.redeemed),
        backgroundColor: "#8a5a00",
      },
    ],
    false,
    true,
  );
}

function renderNow(data) {
  $("#now-count").textContent = cell(data.visitors);
  $("#now-rows").replaceChildren(
    ...data.processes.map((p) => row([p.process, cell(p.visitors), String(p.age_s)], 0)),
  );
  const biggest = Math.max(1, ...data.cells.map((c) => c.visitors));
  const points = data.cells.map((c) => ({ x: c.x, y: c.z, r: 4 + 16 * (c.visitors / biggest) }));
  drawChart(
    "now-chart",
    "bubble",
    {
      datasets: [
        {
          label: "ผู้เยี่ยมชม · Visitors",
          data: points,
          backgroundColor: "rgba(31, 111, 139, 0.6)",
        },
      ],
    },
    {
      scales: {
        x: {
          min: data.bounds[0],
          max: data.bounds[2],
          title: { display: true, text: "ตามถนน (ม.) · Along the road (m)" },
        },
        y: {
          min: data.bounds[1],
          max: data.bounds[3],
          title: { display: true, text: "ข้ามถนน (ม.) · Across (m)" },
        },
      },
    },
  );
}

async function loadNow(api, failed) {
  try {
    renderNow(await api("GET", "/api/admin/figures/now"));
  } catch (err) {
    failed($("#figures-result"), err);
  }
}

/** Load the figures for the chosen days; ``api`` is the console's fetch wrapper. */
export async function loadFigures(api, failed) {
  const from = $("#figures-from").value;
  const to = $("#figures-to").value;
  if (from && to && to < from) {
    const node = $("#figures-result");
    node.dataset.tone = "bad";
    node.hidden = false;
    node.textContent = "วันที่สิ้นสุดต้องไม่ก่อนวันที่เริ่ม · The last day must not be before the first.";
    return;
  }
  const query = from && to ? `?from=${from}&to=${to}` : "";
  try {
    const [learning, economy, inclusion] = await Promise.all([
      api("GET", `/api/admin/figures/learning${query}`),
      api("GET", `/api/admin/figures/economy${query}`),
      api("GET", `/api/admin/figures/inclusion${query}`),
    ]);
    render(learning);
    renderMoney(economy);
    renderInclusion(inclusion);
    loadNow(api, failed);
    loadSignals(api, failed);
    $("#figures-result").hidden = true;
  } catch (err) {
    failed($("#figures-result"), err);
  }
}

function reportLinks() {
  const month = $("#report-month").value;
  $("#report-html").href = `/api/admin/figures/report.html?month=${month}`;
  $("#report-pdf").href = `/api/admin/figures/report.pdf?month=${month}`;
}

export function setupFigures(api, failed) {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Bangkok" }).format(new Date());
  $("#now-reload").addEventListener("click", () => loadNow(api, failed));
  setupInclusion();
  setupSignals(api, failed);
  $("#report-month").value = today.slice(0, 7);
  $("#report-month").addEventListener("change", reportLinks);
  reportLinks();
  const start = new Date(`${today}T00:00:00Z`);
  start.setUTCDate(start.getUTCDate() - 29);
  $("#figures-from").value = start.toISOString().slice(0, 10);
  $("#figures-to").value = today;
  $("#figures-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadFigures(api, failed);
  });
  $("#quiz-csv").addEventListener("click", () => {
    if (latest)
      download(`quizzes-${latest.from}-${latest.to}.csv`, [QUIZ_HEAD, ...quizRows(latest)]);
  });
  $("#money-csv").addEventListener("click", () => {
    if (money) download(`tokens-${money.from}-${money.to}.csv`, [MONEY_HEAD, ...moneyRows(money)]);
  });
  $("#booth-money-csv").addEventListener("click", () => {
    if (money) download(`coupons-${money.from}-${money.to}.csv`, [BOOTH_HEAD, ...boothRows(money)]);
  });
  $("#funnel-csv").addEventListener("click", () => {
    if (latest)
      download(`quests-${latest.from}-${latest.to}.csv`, [FUNNEL_HEAD, ...funnelRows(latest)]);
  });
}
