// What one postMessage costs the sending thread when the receiving worker is busy (polling its
// port in a loop) and when it is asleep in its event loop and has to be woken. The difference is
// the price of a wakeup, paid by the sender; on a VM it is several times the message itself.
// Two passes of each, 3000 messages, 0.3 ms apart. Bounded: a few seconds.
// Usage: node scripts/wake-cost.mjs
import {
  isMainThread,
  parentPort,
  receiveMessageOnPort,
  Worker,
  workerData,
} from 'node:worker_threads';

const MESSAGES = 3000;

async function measure(receiver) {
  const worker = new Worker(new URL(import.meta.url), { workerData: receiver });
  await new Promise((resolve) => worker.once('message', resolve));
  let total = 0;
  for (let i = 0; i < MESSAGES; i++) {
    // Long enough for an idle receiver to go back to sleep.
    const until = performance.now() + 0.3;
    while (performance.now() < until);
    const bytes = new ArrayBuffer(1024);
    const start = performance.now();
    worker.postMessage({ type: 'requests', requestIds: [i], ends: [1024], bytes }, [bytes]);
    total += performance.now() - start;
  }
  await worker.terminate();
  return (total * 1000) / MESSAGES;
}

if (isMainThread) {
  console.log(`node ${process.version}: postMessage, time in the sender per message`);
  for (let pass = 0; pass < 2; pass++) {
    console.log(`  to a busy worker:     ${(await measure('busy')).toFixed(1)} us`);
    console.log(`  to a sleeping worker: ${(await measure('idle')).toFixed(1)} us`);
  }
} else if (workerData === 'busy') {
  parentPort.postMessage('ready');
  const deadline = performance.now() + 30_000;
  let received = 0;
  while (received < MESSAGES && performance.now() < deadline) {
    if (receiveMessageOnPort(parentPort)) received++;
  }
} else {
  parentPort.on('message', () => {});
  parentPort.postMessage('ready');
}
