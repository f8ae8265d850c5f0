// A server in its own process, for the load scripts: `selector` (this package, run from its
// TypeScript sources through tsx) or `net-pipe` (a bare `net` echo server: noDelay plus
// `socket.pipe(socket)`, the baseline the selector must match). It reports its port, then answers
// `cpu` (process.cpuUsage) and `memory` (RSS after a full GC) questions from the parent over IPC.
import { createServer } from 'node:net';

const kind = process.argv[2];
let stats = () => ({});

if (kind === 'selector') {
  const { selectorStrategy } = await import('@switchyard/server-selector');
  const server = await selectorStrategy.listen({ port: 0 });
  stats = () => server.stats();
  process.send({ port: server.address.port });
} else if (kind === 'net-pipe') {
  const server = createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
} else {
  throw new Error(`unknown server kind ${kind}`);
}

process.on('message', (question) => {
  if (question === 'cpu') process.send({ cpu: process.cpuUsage() });
  if (question === 'memory') {
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    process.send({ rss, heapUsed, stats: stats() });
  }
});
process.on('disconnect', () => process.exit(0));
