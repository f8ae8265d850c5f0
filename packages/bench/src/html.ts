import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BenchReport } from './report.js';
import {
  notes,
  renderEnvironment,
  renderWorkloadTable,
  tlsContenders,
  transportLegend,
} from './table.js';

/**
 * Chart.js's UMD bundle, read from node_modules and inlined so the page works offline and
 * from a file:// URL. Its package exports do not list the UMD file, so it is found next to the
 * resolved main entry.
 */
function chartJsSource(): string {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
}

/** Makes text safe inside an inline <script>: nothing in it can close the element. */
function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (char) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[char]};`,
  );
}

/**
 * One self-contained HTML page: the environment, a throughput chart per workload (one bar per
 * contender per cell), a latency-percentile chart per cell, and the terminal tables. The report
 * JSON is embedded too, so the page is also the raw data.
 */
export function renderHtml(report: BenchReport): string {
  const data = JSON.stringify(report).replace(/</g, '\\u003c');
  const tls = tlsContenders(report);
  const tables = report.workloads
    .map(
      (workload) =>
        `<h3>${escapeHtml(workload.name)} tables</h3><pre>${escapeHtml(renderWorkloadTable(workload, tls))}</pre>`,
    )
    .join('\n');
  const transports = transportLegend(report.contenders);
  const warnings = report.workloads.flatMap((workload) =>
    workload.cells.flatMap((cell) =>
      cell.results.flatMap((result) => {
        const said = result.summary ? notes(result.summary) : '';
        return said
          ? [
              `<li><b>${escapeHtml(`${workload.name} ${cell.label} ${result.contender}`)}</b>: ${escapeHtml(said)}</li>`,
            ]
          : [];
      }),
    ),
  );
  // What the bars cannot show (a fast figure bought by starving connections, an unsteady
  // window, a saturated client) comes before them.
  const warningList =
    warnings.length === 0
      ? ''
      : `<h2>Read before the charts</h2>\n<ul class="warnings">\n${warnings.join('\n')}\n</ul>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>switchyard bench ${escapeHtml(report.startedAt)}</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
  pre { font-size: 12px; overflow-x: auto; background: #f6f6f6; padding: .5rem; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); gap: 1rem; }
  .chart { position: relative; height: 18rem; }
  .wide { height: 22rem; }
  .warnings { color: #8a1f11; }
</style>
</head>
<body>
<h1>switchyard bench</h1>
<pre>${escapeHtml(renderEnvironment(report))}</pre>
${transports === '' ? '' : `<p>${escapeHtml(transports)}</p>`}
${warningList}
<div id="workloads"></div>
<h2>Tables</h2>
${tables}
<script type="application/json" id="report">${data}</script>
<script>${inlineScript(chartJsSource())}</script>
<script>
${inlineScript(PAGE_SCRIPT)}
</script>
</body>
</html>
`;
}

// Runs in the browser: builds the charts from the embedded report. Animation is off so charts
// are fully drawn as soon as they are created (and a headless check sees them at once).
const PAGE_SCRIPT = `
const report = JSON.parse(document.getElementById('report').textContent);
const palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const names = report.contenders.map((contender) => contender.name);
const color = (name) => palette[names.indexOf(name) % palette.length];
window.switchyardCharts = [];
const root = document.getElementById('workloads');

function addChart(parent, className, title, config) {
  const box = document.createElement('div');
  box.className = className;
  const canvas = document.createElement('canvas');
  canvas.setAttribute('aria-label', title);
  box.appendChild(canvas);
  parent.appendChild(box);
  config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options);
  config.options.plugins = Object.assign({ title: { display: true, text: title } }, config.options.plugins);
  window.switchyardCharts.push(new Chart(canvas, config));
}

for (const workload of report.workloads) {
  const section = document.createElement('section');
  section.innerHTML = '<h2></h2><p></p>';
  section.querySelector('h2').textContent = workload.name;
  section.querySelector('p').textContent = workload.description;
  root.appendChild(section);
  const bulk = workload.unit === 'MB/s';
  const figure = (summary) => (bulk ? summary.megabytesPerSecond : summary.requestsPerSecond);
  addChart(section, 'chart wide', workload.name + ': ' + workload.unit + ' per contender (median of runs)', {
    type: 'bar',
    data: {
      labels: workload.cells.map((cell) => cell.label),
      datasets: names.map((name) => ({
        label: name,
        backgroundColor: color(name),
        data: workload.cells.map((cell) => {
          const result = cell.results.find((candidate) => candidate.contender === name);
          return result && result.summary ? figure(result.summary) : null;
        }),
      })),
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: workload.unit } } } },
  });
  const grid = document.createElement('div');
  grid.className = 'charts';
  section.appendChild(grid);
  const percentiles = [['p50', 'p50'], ['p90', 'p90'], ['p99', 'p99'], ['p999', 'p99.9'], ['max', 'max']];
  for (const cell of workload.cells) {
    const measured = cell.results.filter((result) => result.summary);
    if (measured.length === 0) continue;
    addChart(grid, 'chart', workload.name + ' ' + cell.label + ': latency (ms)', {
      type: 'line',
      data: {
        labels: percentiles.map((pair) => pair[1]),
        datasets: measured.map((result) => ({
          label: result.contender,
          borderColor: color(result.contender),
          backgroundColor: color(result.contender),
          data: percentiles.map((pair) => result.summary[pair[0]] / 1000),
        })),
      },
      options: { scales: { y: { type: 'logarithmic', title: { display: true, text: 'ms' } } } },
    });
  }
}
`;
