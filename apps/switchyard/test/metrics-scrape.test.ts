import { once } from 'node:events';
import { describe, expect, test } from 'vitest';
import { runClient } from '../src/client.js';
import { contenders } from '../src/registry.js';
import { type Served, startServe } from './cli.js';
import { type Scrape, scrape } from './scrape.js';

/** The load: connections at once, each sending every message (lines) and reading every echo. */
const CONNECTIONS = 12;
const MESSAGES = Array.from({ length: 40 }, (_, n) => `request ${n} ${'x'.repeat(n * 7)}`);
/** How many scrapes at most while the load runs, and how long to wait for the figures to settle. */
const MAX_SCRAPES_UNDER_LOAD = 200;
const SETTLE_MS = 10_000;

/** The URL serve printed on its second line of stdout (`metrics on URL`). */
async function metricsUrl(served: Served): Promise<string> {
  for (;;) {
    const match = /^metrics on (\S+)$/m.exec(served.stdout());
    if (match) return match[1]!;
    await once(served.child.stdout!, 'data');
  }
}

/** The figures the client can check against: what it sent and what came back. */
const figures = (scraped: Scrape) => ({
  accepted: scraped.value('switchyard_connections_accepted_total'),
  open: scraped.value('switchyard_connections_open'),
  requests: scraped.value('switchyard_requests_total'),
  replies: scraped.value('switchyard_replies_total'),
  bytesIn: scraped.value('switchyard_received_bytes_total'),
  bytesOut: scraped.value('switchyard_sent_bytes_total'),
  handlerCalls: scraped.histogram('switchyard_handler_duration_seconds').count,
});

describe('a scrape of serve --metrics-port agrees with what its clients sent and received', () => {
  for (const contender of contenders()) {
    test(contender.name, async () => {
      const served = await startServe([
        ...contender.serveArgs,
        '--codec',
        'lines',
        '--metrics-port',
        '0',
      ]);
      const url = await metricsUrl(served);
      expect(served.stdout().split('\n')[0]).toMatch(/^listening on /);

      let done = false;
      const load = runClient({
        host: served.host,
        port: served.port,
        connections: CONNECTIONS,
        messages: MESSAGES,
        codec: 'lines',
      }).finally(() => {
        done = true;
      });
      // Under load: each scrape parses, and no counter runs backwards or past the client's sends.
      const underLoad: ReturnType<typeof figures>[] = [];
      while (!done && underLoad.length < MAX_SCRAPES_UNDER_LOAD) {
        underLoad.push(figures(await scrape(url)));
      }
      const results = await load;
      expect(results.filter((result) => !result.ok)).toEqual([]);
      const requests = CONNECTIONS * MESSAGES.length;
      const sent = results.reduce((sum, result) => sum + result.msgTotal, 0);
      const received = results.reduce((sum, result) => sum + result.recvTotal, 0);
      expect(underLoad.length).toBeGreaterThan(0);
      for (const [index, seen] of underLoad.entries()) {
        expect(seen.requests).toBeLessThanOrEqual(requests);
        expect(seen.bytesIn).toBeLessThanOrEqual(sent);
        const before = underLoad[index - 1];
        if (before)
          for (const key of ['accepted', 'requests', 'replies', 'bytesIn'] as const)
            expect(seen[key]).toBeGreaterThanOrEqual(before[key]);
      }

      // Once every connection has closed on the server (threads and processes report within
      // tens of milliseconds), the figures are exactly the client's.
      const expected = {
        accepted: CONNECTIONS,
        open: 0,
        requests,
        replies: requests,
        bytesIn: sent,
        bytesOut: received,
        handlerCalls: requests,
      };
      const deadline = Date.now() + SETTLE_MS;
      let last = figures(await scrape(url));
      while (JSON.stringify(last) !== JSON.stringify(expected) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        last = figures(await scrape(url));
      }
      expect(last).toEqual(expected);

      const final = await scrape(url);
      const { buckets, count } = final.histogram('switchyard_handler_duration_seconds');
      expect(buckets.get('+Inf')).toBe(count);
      // Cumulative: no bucket counts fewer calls than a bucket with a lower bound.
      const byBound = [...buckets].sort(
        ([a], [b]) => Number(a.replace('+Inf', 'Infinity')) - Number(b.replace('+Inf', 'Infinity')),
      );
      const cumulative = byBound.map(([, calls]) => calls);
      expect(cumulative).toEqual([...cumulative].sort((a, b) => a - b));
      expect(final.family('switchyard_errors_total').metrics).toEqual([]);
      expect(await served.stop()).toBe(0);
    });
  }
});

test('the metrics port answers /metrics only, and GET or HEAD only', async () => {
  const served = await startServe(['--strategy', 'selector', '--metrics-port', '0']);
  const url = await metricsUrl(served);
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const ok = await fetch(url);
  expect(ok.status).toBe(200);
  expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  await ok.text();
  expect((await fetch(url.replace('/metrics', '/'))).status).toBe(404);
  expect((await fetch(url, { method: 'POST', body: 'x' })).status).toBe(405);
  expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
  expect(await served.stop()).toBe(0);
});
