// Entry point of a load-generator child process: runs one cell at a time as the bench directs,
// over the IPC channel. Kept free of everything but the load engine so it starts fast.
import { LoadRun } from './load.js';
import type { FromLoadWorker, ToLoadWorker } from './load-protocol.js';
import { loadTraffic } from './traffic.js';

function send(message: FromLoadWorker): void {
  process.send?.(message);
}

let current: LoadRun | undefined;

async function handle(message: ToLoadWorker): Promise<void> {
  if (message.type === 'start') {
    // The workload module is imported here, in this process: its request() runs where the load is.
    current = new LoadRun(message.spec, await loadTraffic(message.spec));
    await current.start();
    send({ type: 'started' });
  } else if (message.type === 'count') {
    send({ type: 'count', completed: current?.completedSoFar ?? 0 });
  } else if (message.type === 'measure') {
    current?.measure();
  } else if (message.type === 'window') {
    if (!current) throw new Error('window without start');
    send({ type: 'result', result: current.window() });
  } else if (message.type === 'stop') {
    if (!current) throw new Error('stop without start');
    const result = await current.stop(message.drainMs);
    current = undefined;
    send({ type: 'result', result });
  }
}

process.on('message', (message: ToLoadWorker) => {
  handle(message).catch((error: unknown) => {
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  });
});
// The bench going away (even killed) closes the channel: never outlive it.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
