// The owner's figures for the booth they are editing: visitors near it per day and coupons
// bought per day and promotion, from /owner/api/booths/{slot}/figures, as charts (Chart.js,
// served from /vendor/chartjs/) and one table with the same figures.

import { drawChart } from "/static/js/chart.js";

const $ = (sel) => document.querySelector(sel);
const HIDDEN = "—";
const COLOURS = ["#8a5a00", "#1f6f8b", "#6b3fa0", "#2f7d32", "#b3261e"];

function draw(id, labels, datasets) {
  drawChart(
    id,
    "bar",
    { labels, datasets },
    {
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
      },
    },
  );
}

/** A table row; ``header`` makes every cell a column heading, else the first names the row. */
function cells(values, header = false) {
  const tr = document.createElement("tr");
  values.forEach((v, i) => {
    const td = document.createElement(header || i === 0 ? "th" : "td");
    if (header) td.scope = "col";
    else if (i === 0) td.scope = "row";
    td.textContent = v;
    tr.append(td);
  });
  return tr;
}

export async function loadBoothFigures(slot, api) {
  const status = $("#booth-figures-status");
  let data;
  try {
    data = await api("GET", `/owner/api/booths/${slot}/figures`);
  } catch {
    status.textContent = "โหลดตัวเลขไม่สำเร็จ · The figures could not be loaded.";
    return;
  }
  status.textContent = "";
  const labels = data.days.map((d) => d.slice(5));
  draw("near-chart", labels, [
    { label: "ผู้เยี่ยมชมใกล้ร้าน · Visitors near", data: data.near, backgroundColor: "#1f3b5c" },
  ]);
  draw(
    "sales-chart",
    labels,
    data.promotions.map((p, i) => ({
      label: `คูปอง · Coupons: ${p.promotion}`,
      data: p.coupons,
      backgroundColor: COLOURS[i % COLOURS.length],
    })),
  );
  const head = [
    "วันที่ · Day",
    "ผู้เยี่ยมชมใกล้ร้าน · Visitors near",
    ...data.promotions.map((p) => `คูปอง · Coupons: ${p.promotion}`),
  ];
  $("#booth-figures-table thead").replaceChildren(cells(head, true));
  const busy = data.days
    .map((day, i) => [day, i])
    .filter(([, i]) => data.near[i] != null || data.promotions.some((p) => p.coupons[i] > 0))
    .reverse(); // newest first; the charts show every day
  $("#booth-figures-table tbody").replaceChildren(
    ...busy.map(([day, i]) =>
      cells([
        day,
        data.near[i] == null ? HIDDEN : String(data.near[i]),
        ...data.promotions.map((p) => String(p.coupons[i])),
      ]),
    ),
  );
  status.textContent = busy.length ? "" : "ยังไม่มีข้อมูล · No figures yet.";
}
