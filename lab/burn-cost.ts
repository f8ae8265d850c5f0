// What one `burn` call costs on a 1 KiB request, on the main thread and in a worker thread: each
// pass runs `calls` calls on the main thread, then as many in a fresh worker thread (each after
// its own warm-up), and the passes alternate so that a change in the machine's load hits both.
// CPU is the process's (user + system, V8's GC helper threads included), per call; the last line
// gives the medians and the cost of one round, the figure DEFAULT_BURN_ROUNDS is derived from.
//
//   pnpm lab burn-cost [--rounds 175] [--passes 5] [--calls 3000]
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { HandlerContext } from '@switchyard/protocol';
import burn, { DEFAULT_BURN_ROUNDS } from '@switchyard/protocol/handlers/burn';
import { boundedCount, median } from './support/stats.js';
import { startWorker } from './support/thread.js';

interface Job {
  rounds: number;
  calls: number;
}
interface Cost {
  cpuMicros: number;
  wallMicros: number;
}

/** Per-call cost of `calls` burn calls after a warm-up of a tenth as many. */
function measure({ rounds, calls }: Job): Cost {
  const context: HandlerContext = {
    connectionId: 1,
    remoteAddress: '127.0.0.1',
    remotePort: 0,
    codec: 'raw',
    options: { rounds },
    state: new Map(),
  };
  const request = Buffer.alloc(1024, 7);
  for (let i = 0; i < Math.ceil(calls / 10); i++) burn(request, context);
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  for (let i = 0; i < calls; i++) burn(request, context);
  const cpu = process.cpuUsage(cpuStart);
  return {
    cpuMicros: (cpu.user + cpu.system) / calls,
    wallMicros: ((performance.now() - wallStart) * 1000) / calls,
  };
}

async function inWorker(job: Job): Promise<Cost> {
  const worker = startWorker(new URL(import.meta.url), job);
  const [cost] = (await once(worker, 'message')) as [Cost];
  await worker.terminate();
  return cost;
}

const show = ({ cpuMicros, wallMicros }: Cost) =>
  `cpu ${cpuMicros.toFixed(1)} us, wall ${wallMicros.toFixed(1)} us`;

if (isMainThread) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: String(DEFAULT_BURN_ROUNDS) },
      passes: { type: 'string', default: '5' },
      calls: { type: 'string', default: '3000' },
    },
  });
  const job: Job = {
    rounds: boundedCount('rounds', values.rounds, 100_000),
    calls: boundedCount('calls', values.calls, 100_000),
  };
  const passes = boundedCount('passes', values.passes, 21);
  console.log(
    `node ${process.version}, ${job.rounds} rounds, 1 KiB, ${job.calls} calls, per call:`,
  );
  const main: Cost[] = [];
  const worker: Cost[] = [];
  for (let pass = 0; pass < passes; pass++) {
    main.push(measure(job));
    console.log(`  main thread:   ${show(main.at(-1)!)}`);
    worker.push(await inWorker(job));
    console.log(`  worker thread: ${show(worker.at(-1)!)}`);
  }
  const cpu = (costs: Cost[]) => median(costs.map((cost) => cost.cpuMicros));
  console.log(
    `medians: main thread cpu ${cpu(main).toFixed(1)} us, worker thread cpu ` +
      `${cpu(worker).toFixed(1)} us (${(cpu(main) / job.rounds).toFixed(2)} us per round)`,
  );
} else {
  parentPort!.postMessage(measure(workerData as Job));
}
