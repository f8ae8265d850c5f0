// The burn handler's cost on the main thread and in a worker thread, alternating, 3 times each:
// 3000 calls on 1 KiB after a warm-up, process CPU (user + system, GC helper threads included)
// and wall time per call. Needs the built package: pnpm --filter @switchyard/protocol build.
// Usage: node packages/protocol/scripts/burn-threads.mjs [rounds]
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import burn, { DEFAULT_BURN_ROUNDS } from '../dist/handlers/burn.js';

function measure(rounds, calls = 3000) {
  const context = {
    connectionId: 1,
    remoteAddress: '',
    remotePort: 0,
    codec: 'raw',
    options: { rounds },
  };
  const request = Buffer.alloc(1024, 7);
  for (let i = 0; i < 300; i++) burn(request, context);
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  for (let i = 0; i < calls; i++) burn(request, context);
  const cpu = process.cpuUsage(cpuStart);
  const wall = ((performance.now() - wallStart) * 1000) / calls;
  return `cpu ${((cpu.user + cpu.system) / calls).toFixed(1)} us, wall ${wall.toFixed(1)} us`;
}

if (isMainThread) {
  const rounds = Number(process.argv[2] ?? DEFAULT_BURN_ROUNDS);
  console.log(`node ${process.version}, ${rounds} rounds, 1 KiB, per call:`);
  for (let pass = 0; pass < 3; pass++) {
    console.log(`  main thread:   ${measure(rounds)}`);
    const worker = new Worker(new URL(import.meta.url), { workerData: rounds });
    const result = await new Promise((resolve) => worker.once('message', resolve));
    console.log(`  worker thread: ${result}`);
    await worker.terminate();
  }
} else {
  parentPort.postMessage(measure(workerData));
}
