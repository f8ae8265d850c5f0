// What a client waiting its turn costs the blocking strategy, and what is left once such clients
// give up. Starts the blocking echo server (`lines`) in a child process, holds the line with one
// client, then for each case opens N clients that wait, each having sent the case's bytes, and
// reports the server's (RSS after - RSS before) / N and JS heap growth / N (both after a full
// GC) and what its stats count as held. Then every waiting client closes its side (the ones that
// sent a request may be half-closed clients, they are not told apart) and the script reports the
// server's open fds and active connections once they are dropped, against before they came.
// The last case's clients sent more than the server reads ahead, so they are noticed leaving only
// at their turn: they reset, and the served client leaves so that the line runs through them.
//
//   pnpm lab waiting-memory [--waiting 5000]
//
// N is at most 10 000 (the 1 MiB case uses a tenth of it); this process and the server each
// hold N sockets, so `ulimit -n` must be above N plus a margin.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { type ServerMemory, type SpawnedServer, spawnServer } from './support/spawn-server.js';
import { boundedCount } from './support/stats.js';

const { values } = parseArgs({ options: { waiting: { type: 'string', default: '5000' } } });
const count = boundedCount('waiting', values.waiting, 10_000);

const cases = [
  { name: 'sent nothing', bytes: 0, count, atTheirTurn: false },
  { name: 'sent one 100-byte line', bytes: 100, count, atTheirTurn: false },
  {
    name: 'sent 1 MiB, then reset',
    bytes: 1024 * 1024,
    count: Math.max(1, Math.floor(count / 10)),
    atTheirTurn: true,
  },
];

/** Opens `n` waiting connections in batches of 200, each writing `bytes` bytes of one line. */
async function openWaiting(port: number, n: number, bytes: number): Promise<Socket[]> {
  const request = bytes > 0 ? Buffer.from(`${'x'.repeat(bytes - 1)}\n`) : undefined;
  const sockets: Socket[] = [];
  for (let start = 0; start < n; start += 200) {
    const batch = Array.from({ length: Math.min(200, n - start) }, async () => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.on('error', () => {});
      await once(socket, 'connect');
      if (request) socket.write(request);
      return socket;
    });
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

/** Polls the server (at most 30 s) until `done` holds for what it reports. */
async function until(
  server: SpawnedServer,
  done: (memory: ServerMemory) => boolean,
): Promise<ServerMemory> {
  const giveUpAt = performance.now() + 30_000;
  for (;;) {
    const memory = await server.memory();
    if (done(memory)) return memory;
    if (performance.now() > giveUpAt)
      throw new Error(`server never got there: ${JSON.stringify(memory)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const per = (growth: number, n: number) => (growth / n).toFixed(0);

console.log(`node ${process.version}, blocking strategy, one client served, N waiting`);
console.log(
  'case | N | RSS per waiting client | JS heap per waiting client | held per waiting client (stats) | fds, active after they left (before)',
);
const server = await spawnServer('blocking', { gc: true });
try {
  const holder = connect({ port: server.port, host: '127.0.0.1' });
  await once(holder, 'connect');
  holder.write('holds the line\n');
  await once(holder, 'data');
  // A warm-up batch, so that JIT code and pools are in the baseline.
  for (const socket of await openWaiting(server.port, 200, 100)) socket.end();
  await until(server, (memory) => memory.active === 1);
  for (const { name, bytes, count: n, atTheirTurn } of cases) {
    const before = await server.memory();
    const sockets = await openWaiting(server.port, n, bytes);
    const expectedHeld = Math.min(bytes, 1) * n;
    const after = await until(
      server,
      (memory) => memory.active === n + 1 && (memory.bufferedBytes ?? 0) >= expectedHeld,
    );
    let left: ServerMemory;
    if (atTheirTurn) {
      for (const socket of sockets) socket.resetAndDestroy();
      holder.destroy();
      left = await until(server, (memory) => memory.active === 0);
    } else {
      for (const socket of sockets) socket.end();
      left = await until(server, (memory) => memory.active === 1);
    }
    console.log(
      `${name} | ${n} | ${per(after.rss - before.rss, n)} B | ${per(after.heapUsed - before.heapUsed, n)} B | ` +
        `${per(after.bufferedBytes ?? 0, n)} B | ${left.fds}, ${left.active} (${before.fds}, ${before.active}); ` +
        `RSS ${mib(before.rss)} -> ${mib(after.rss)} -> ${mib(left.rss)} MiB`,
    );
    for (const socket of sockets) socket.destroy();
  }
} finally {
  await server.stop();
}
