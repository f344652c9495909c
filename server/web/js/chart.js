// One way to draw a Chart.js chart on the operators' console and the owner page (Chart.js is
// served from /vendor/chartjs/): the same Thai-capable font, no animation, redrawn in place.
// Without Chart.js nothing is drawn: every chart has a table beside it with the same figures.

const FONT =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans Thai", "Leelawadee UI", Tahoma, Garuda, sans-serif';
const drawn = {};

/** Draw (or redraw) a ``type`` chart on canvas ``#id``; ``options`` adds scales and plugins. */
export function drawChart(id, type, data, options) {
  const Chart = window.Chart;
  if (!Chart) return;
  drawn[id]?.destroy();
  Chart.defaults.font.family = FONT;
  Chart.defaults.font.size = 15;
  drawn[id] = new Chart(document.getElementById(id), {
    type,
    data,
    options: { maintainAspectRatio: false, animation: false, ...options },
  });
}
