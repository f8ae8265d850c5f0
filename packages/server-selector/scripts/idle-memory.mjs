#!/usr/bin/env node
// Dev tool: memory per idle connection. Starts a server in a child process, opens N connections
// that each do one 1-byte echo (so the server has accepted and set up every one), then leaves
// them idle and reports (server RSS after - RSS before) / N, both measured after a full GC.
// A warm-up batch is opened and closed first so JIT code and pools are in the baseline.
//
//   node packages/server-selector/scripts/idle-memory.mjs [--connections 5000] [--contenders selector,net-pipe]
//
// N is capped at 10000; the parent and the child each hold N sockets, so `ulimit -n` must be
// above N plus a margin.
import { once } from 'node:events';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { spawnServer } from './spawn-server.mjs';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '5000' },
    contenders: { type: 'string', default: 'selector,net-pipe' },
  },
});
const count = Math.min(Number(values.connections), 10_000);

/** Opens `n` connections in batches and does one echo on each. */
async function openIdle(port, n) {
  const sockets = [];
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

async function closeAll(sockets) {
  await Promise.all(
    sockets.map((socket) => {
      socket.end();
      return once(socket, 'close');
    }),
  );
}

console.log(`node ${process.version}, ${count} idle connections`);
console.log(
  'contender | RSS before MiB | RSS after MiB | RSS per connection | JS heap per connection',
);
for (const kind of values.contenders.split(',')) {
  const server = await spawnServer(kind, { gc: true });
  try {
    await closeAll(await openIdle(server.port, 500));
    const before = await server.memory();
    const sockets = await openIdle(server.port, count);
    const after = await server.memory();
    if (kind === 'selector' && after.stats.active !== count) {
      throw new Error(`server reports ${after.stats.active} active connections, expected ${count}`);
    }
    const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
    const perConnection = (key) => ((after[key] - before[key]) / count).toFixed(0);
    console.log(
      `${kind} | ${mib(before.rss)} | ${mib(after.rss)} | ${perConnection('rss')} | ` +
        perConnection('heapUsed'),
    );
    await closeAll(sockets);
  } finally {
    await server.stop();
  }
}
