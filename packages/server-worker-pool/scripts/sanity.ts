// Quick, bounded sanity figures (not the benchmark): `node --import tsx
// --conditions=@switchyard/source scripts/sanity.ts [seconds]` from this package's folder.
// The load generator runs in a child process: C connections, each a closed loop of one
// length-prefixed request at a time, for a few seconds per contender.
import { fork } from 'node:child_process';
import { connect } from 'node:net';
import type { RunningServer, ServerOptions } from '@switchyard/protocol';
// The selector is the baseline; imported by path so that no strategy depends on another.
import { selectorStrategy } from '../../server-selector/src/index.js';
import { canTransferSockets, workerPoolStrategy } from '../src/index.js';

const seconds = Number(process.argv[3] ?? process.argv[2] ?? 3);

if (process.argv[2] === 'client') {
  const [, , , , port, connections, bytes, ms] = process.argv.map(Number);
  const frame = Buffer.alloc(4 + bytes!, 7);
  frame.writeUInt32BE(bytes!, 0);
  let replies = 0;
  const deadline = Date.now() + ms!;
  await Promise.all(
    Array.from(
      { length: connections! },
      () =>
        new Promise<void>((resolve) => {
          const socket = connect(port!, '127.0.0.1', () => socket.write(frame));
          socket.setNoDelay(true);
          let got = 0;
          socket.on('data', (chunk) => {
            got += chunk.length;
            while (got >= frame.length) {
              got -= frame.length;
              replies++;
              if (Date.now() < deadline) socket.write(frame);
              else {
                socket.destroy();
                resolve();
                return;
              }
            }
          });
        }),
    ),
  );
  process.send!(replies / (ms! / 1000));
  process.exit(0);
}

async function load(server: RunningServer, connections: number, bytes: number): Promise<number> {
  const child = fork(
    new URL(import.meta.url).pathname,
    [
      'client',
      '',
      String(server.address.port),
      String(connections),
      String(bytes),
      String(seconds * 1000),
    ],
    { execArgv: process.execArgv },
  );
  return new Promise((resolve) => child.once('message', (rate) => resolve(Number(rate))));
}

type Contender = [string, (o: ServerOptions) => Promise<RunningServer>];
const contenders: Contender[] = [
  ['selector', (o) => selectorStrategy.listen(o)],
  ['worker-pool offload', (o) => workerPoolStrategy.listen({ ...o, mode: 'offload', workers: 2 })],
];
if (canTransferSockets()) {
  contenders.push([
    'worker-pool handoff',
    (o) => workerPoolStrategy.listen({ ...o, mode: 'handoff', workers: 2 }),
  ]);
}
const workloads = [
  { name: 'echo 1 KiB x100 conns', connections: 100, bytes: 1024, options: { handler: 'echo' } },
  { name: 'burn 1 KiB x20 conns', connections: 20, bytes: 1024, options: { handler: 'burn' } },
];
console.log(`Node ${process.version}, ${seconds}s per run`);
for (const workload of workloads) {
  for (const [name, listen] of contenders) {
    const server = await listen({ codec: 'length-prefixed', ...workload.options });
    const rate = await load(server, workload.connections, workload.bytes);
    await server.close();
    console.log(`${workload.name.padEnd(24)} ${name.padEnd(22)} ${Math.round(rate)} req/s`);
  }
}
