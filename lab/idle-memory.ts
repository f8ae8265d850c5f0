// Memory per idle connection: starts each server in a child process, opens N connections that
// each do one 1-byte echo (so the server has accepted and set up every one), leaves them idle and
// reports (server RSS after - RSS before) / N, both after a full GC. A warm-up batch is opened
// and closed first so that JIT code and pools are in the baseline. RSS is the whole process's, so
// a worker pool's threads count; every thread collects its heap first (the pool's workers through
// the lab's handler, `support/gc-echo-handler.mjs`), and the JS heap column sums every thread's.
//
//   pnpm lab idle-memory [--connections 5000] [--build]
//     [--contenders selector,net-pipe,worker-pool:offload,worker-pool:handoff]
//
// `worker-pool:*` runs the pool in that mode with its default workers (one per core);
// `worker-pool:handoff` needs a Node that transfers sockets (26; on 20 the pool refuses it).
// `blocking` is not a contender: it serves one connection at a time, so the second connection's
// echo would wait for the first to leave; what a client waiting its turn costs it is
// `pnpm lab waiting-memory`.
//
// --build measures the packages' dist (`pnpm build` first), as users run them; without it, their
// sources through tsx, whose `keepNames` makes each closure heavier (about 2.6 KB more per
// selector connection, measured 2026-12-06).
// N is at most 10 000; this process and the server each hold N sockets, so `ulimit -n` must be
// above N plus a margin.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import {
  isServerKind,
  type ServerMemory,
  type SpawnedServer,
  spawnServer,
} from './support/spawn-server.js';
import { boundedCount } from './support/stats.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '5000' },
    contenders: { type: 'string', default: 'selector,net-pipe' },
    build: { type: 'boolean', default: false },
  },
});
const count = boundedCount('connections', values.connections, 10_000);
const contenders = values.contenders.split(',').map((kind) => {
  if (!isServerKind(kind) || kind === 'blocking') {
    throw new Error(`--contenders: no contender ${kind} (blocking: pnpm lab waiting-memory)`);
  }
  return kind;
});

/** Opens `n` connections in batches of 200 and does one echo on each. */
async function openIdle(port: number, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let start = 0; start < n; start += 200) {
    const batch = Array.from({ length: Math.min(200, n - start) }, async () => {
      const socket = connect({ port, host: '127.0.0.1' });
      await once(socket, 'connect');
      socket.write('x');
      await once(socket, 'data');
      return socket;
    });
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

async function closeAll(sockets: Socket[]): Promise<void> {
  await Promise.all(
    sockets.map((socket) => {
      socket.end();
      return once(socket, 'close');
    }),
  );
}

/** Waits (at most 10 s) until the server counts no connection: a worker pool in handoff hears of
 * a close from the worker that had the connection, a little after the client saw it. */
async function untilIdle(server: SpawnedServer): Promise<void> {
  const giveUpAt = performance.now() + 10_000;
  while (((await server.memory()).active ?? 0) > 0) {
    if (performance.now() > giveUpAt) throw new Error(`${server.kind} still counts connections`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const perConnection = (before: ServerMemory, after: ServerMemory, key: 'rss' | 'heapUsed') =>
  ((after[key] - before[key]) / count).toFixed(0);

console.log(`node ${process.version}, ${count} idle connections, ${availableParallelism()} cores`);
console.log(
  'contender | RSS before MiB | RSS after MiB | RSS per connection | JS heap per connection',
);
for (const kind of contenders) {
  const server = await spawnServer(kind, { gc: true, built: values.build });
  try {
    await closeAll(await openIdle(server.port, 500));
    await untilIdle(server);
    const before = await server.memory();
    const sockets = await openIdle(server.port, count);
    const after = await server.memory();
    if (after.active !== undefined && after.active !== count) {
      throw new Error(`server reports ${after.active} active connections, expected ${count}`);
    }
    console.log(
      `${kind} | ${mib(before.rss)} | ${mib(after.rss)} | ` +
        `${perConnection(before, after, 'rss')} | ${perConnection(before, after, 'heapUsed')}`,
    );
    await closeAll(sockets);
  } finally {
    await server.stop();
  }
}
