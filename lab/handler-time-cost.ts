// What timing each handler call into `stats().handlerTime` costs: the same handler called
// directly and through server-core's `timeHandlerCalls` (what every `Connection` dispatches
// through), alternating pass by pass so that a change in the machine's load hits both. A
// synchronous echo shows the whole cost (two clock reads and a bucket increment); an async one
// adds the promise the timing chains on the handler's.
//
//   pnpm lab handler-time-cost [--passes 7] [--calls 2000000]
import { parseArgs } from 'node:util';
import type { Handler, HandlerContext } from '@switchyard/protocol';
import { HandlerTimes, timeHandlerCalls } from '@switchyard/server-core';
import { boundedCount, median } from './support/stats.js';

const { values } = parseArgs({
  options: {
    passes: { type: 'string', default: '7' },
    calls: { type: 'string', default: '2000000' },
  },
});
const passes = boundedCount('passes', values.passes, 100);
const calls = boundedCount('calls', values.calls, 50_000_000);

const context = {} as HandlerContext;
const request = Buffer.alloc(1024, 7);
const echo: Handler = (bytes) => bytes;
const asyncEcho: Handler = async (bytes) => bytes;

/** Nanoseconds of CPU per call of `handle`, over `count` calls. */
function syncCost(handle: Handler, count: number): number {
  let sink = 0;
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) sink += (handle(request, context) as Buffer).length;
  const used = process.cpuUsage(start);
  if (sink !== count * request.length) throw new Error('the handler did not echo');
  return ((used.user + used.system) * 1000) / count;
}

/** The same for an async handler, each call awaited (as a connection waits for its reply). */
async function asyncCost(handle: Handler, count: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) await handle(request, context);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / count;
}

const cases = [
  {
    name: 'sync echo',
    plain: echo,
    timed: timeHandlerCalls(echo, new HandlerTimes()),
    async: false,
  },
  {
    name: 'async echo',
    plain: asyncEcho,
    timed: timeHandlerCalls(asyncEcho, new HandlerTimes()),
    async: true,
  },
];
console.log(`Node ${process.version}, ${passes} passes of ${calls} calls (async: a tenth as many)`);
for (const { name, plain, timed, async } of cases) {
  const count = async ? Math.ceil(calls / 10) : calls;
  const measure = (handle: Handler) => (async ? asyncCost(handle, count) : syncCost(handle, count));
  // Warm-up, so that both run optimized.
  await measure(plain);
  await measure(timed);
  const plainNs: number[] = [];
  const timedNs: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    plainNs.push(await measure(plain));
    timedNs.push(await measure(timed));
  }
  const [a, b] = [median(plainNs), median(timedNs)];
  console.log(
    `${name.padEnd(11)} direct ${a.toFixed(1)} ns/call, timed ${b.toFixed(1)} ns/call: +${(b - a).toFixed(1)} ns per call (medians; passes direct ${plainNs.map((n) => n.toFixed(0)).join(' ')}, timed ${timedNs.map((n) => n.toFixed(0)).join(' ')})`,
  );
}
