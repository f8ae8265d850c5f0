import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { renderHtml } from '../src/html.js';
import { REPORT_SCHEMA } from '../src/report.js';
import { fakeReport, fakeRuns, measured, oneCellWorkload } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';

/** The parts of a Chart.js chart (and its canvas) the test reads inside the page. */
interface ProbedChart {
  data: { datasets: Array<{ data: unknown[] }> };
  canvas: {
    width: number;
    height: number;
    getContext(kind: '2d'): {
      getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
    } | null;
  };
}
const hasChromium = existsSync(CHROMIUM);

describe('bench HTML report', () => {
  it('is one self-contained page: no external scripts, styles or fetches', () => {
    const html = renderHtml(fakeReport());
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).toContain(`"schema":"${REPORT_SCHEMA}"`);
  });

  it('lists, before the charts, every contender that starved connections', () => {
    const report = fakeReport();
    report.workloads[0] = oneCellWorkload([
      measured('evenly', fakeRuns([1, 1, 1], { perConnection: [100, 100, 100, 100] })),
      measured('blocking', fakeRuns([2, 2, 2], { perConnection: [100, 0, 0, 0] })),
    ]);
    const html = renderHtml(report);
    const warnings = /<ul class="warnings">(.*?)<\/ul>/s.exec(html)?.[1] ?? '';
    expect(warnings).toMatch(/<b>[^<]* blocking<\/b>: starved: 3\/4 conn got 0 replies/);
    expect(warnings).not.toContain('evenly');
    expect(html.indexOf('class="warnings"')).toBeLessThan(html.indexOf('id="workloads"'));
  });

  it('embeds the report as data that markup in a name cannot break out of', () => {
    const report = fakeReport();
    const name = '</script><script>globalThis.injected = 1</script><!--';
    report.workloads[0]!.cells[0]!.results[2] = {
      contender: name,
      status: 'errored',
      error: 'verification failed: <b>wrong</b> reply',
      runs: [],
    };
    const html = renderHtml(report);
    expect(html).not.toContain(name);
    expect(html).not.toContain('<b>wrong</b>');
    const embedded = /<script type="application\/json" id="report">(.*?)<\/script>/s.exec(html);
    expect(JSON.parse(embedded![1]!)).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it.skipIf(!hasChromium)(
    `draws its charts in headless Chromium, offline${hasChromium ? '' : ` (skipped: no ${CHROMIUM}; install the Debian chromium package)`}`,
    async () => {
      const { chromium } = await import('playwright-core');
      const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-html-'));
      onTestFinished(() => rm(dir, { recursive: true, force: true }));
      const file = join(dir, 'bench.html');
      await writeFile(file, renderHtml(fakeReport()));
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu'],
      });
      onTestFinished(() => browser.close());
      const page = await browser.newPage();
      // Offline: any request leaving the page fails the test.
      const requests: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith('file:')) requests.push(request.url());
      });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(pathToFileURL(file).href);
      const charts = await page.evaluate(() => {
        // Runs in the page; typed structurally because the tests compile without the DOM lib.
        const list =
          (globalThis as unknown as { switchyardCharts?: ProbedChart[] }).switchyardCharts ?? [];
        return list.map((chart) => {
          const { width, height } = chart.canvas;
          const pixels = chart.canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
          let painted = 0;
          for (let index = 3; index < pixels.length; index += 4) if (pixels[index]! > 0) painted++;
          return {
            datasets: chart.data.datasets.length,
            points: chart.data.datasets.reduce(
              (total, dataset) => total + dataset.data.filter((value) => value !== null).length,
              0,
            ),
            painted,
          };
        });
      });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      // One throughput chart for the workload and one latency chart per cell.
      expect(charts).toHaveLength(3);
      for (const chart of charts) {
        expect(chart.datasets).toBeGreaterThan(0);
        expect(chart.points).toBeGreaterThan(0);
        expect(chart.painted).toBeGreaterThan(1000);
      }
    },
  );
});
