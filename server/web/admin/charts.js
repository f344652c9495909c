// The console's tables and charts: cells ("—" for a suppressed group), rows, CSV downloads and
// Chart.js bar charts, shared by the figures (figures.js) and the inclusion figures
// (inclusion.js).

import { drawChart } from "/static/js/chart.js";

const HIDDEN = "—";

export function cell(value, percent = false) {
  if (value == null) return HIDDEN;
  return percent ? `${Math.round(value * 1000) / 10}%` : String(value);
}

/** A table row whose cell ``headerAt`` names the row for screen readers. */
export function row(values, headerAt) {
  const tr = document.createElement("tr");
  values.forEach((v, i) => {
    const td = document.createElement(i === headerAt ? "th" : "td");
    if (i === headerAt) td.scope = "row";
    td.textContent = v;
    tr.append(td);
  });
  return tr;
}

/** Rows as CSV (RFC 4180 quoting) with a BOM, so spreadsheet programs read Thai as UTF-8. */
export function toCsv(rows) {
  const quote = (v) => {
    const s = v == null ? "" : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return "\ufeff" + rows.map((r) => r.map(quote).join(",")).join("\r\n") + "\r\n";
}

export function download(name, rows) {
  const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A label short enough for a phone's axis (the table has it in full). */
function short(label) {
  return label.length > 16 ? `${label.slice(0, 15)}…` : label;
}

/** A bar chart: bars across (``indexAxis`` y, a label per row) or, for days, ``upright``. */
export function chart(id, labels, datasets, percent, upright = false) {
  drawChart(
    id,
    "bar",
    { labels, datasets },
    {
      indexAxis: upright ? "x" : "y",
      scales: upright
        ? { y: { beginAtZero: true, ticks: { precision: 0 } } }
        : {
            y: { ticks: { callback: (_v, i) => short(labels[i]) } },
            x: percent
              ? { min: 0, max: 1, ticks: { format: { style: "percent" } } }
              : { beginAtZero: true, ticks: { precision: 0 } },
          },
      plugins: { legend: { display: datasets.length > 1 } },
    },
  );
}
