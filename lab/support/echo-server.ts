// An echo server in its own process, for the lab's load scripts: `selector` (the selector
// strategy with its defaults), `blocking` (the blocking strategy, `lines` codec) or `net-pipe` (a
// bare `net` echo server: noDelay plus `socket.pipe(socket)`, the floor the selector is compared
// with). It sends its port to the parent, then answers `cpu` (process.cpuUsage) and `memory`
// (RSS and heap after a full GC, if the process runs with --expose-gc, and its open fds) over
// IPC, and exits when the parent disconnects.
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { getStrategy } from '@switchyard/cli';
import type { ServerStats, TcpAddress } from '@switchyard/protocol';
import { selectorStrategy } from '@switchyard/server-selector';
import type { ServerKind, ServerMemory, ToParent } from './spawn-server.js';

const kind = process.argv[2] as ServerKind;
const send = (message: ToParent) => process.send!(message);
let stats = (): ServerStats | undefined => undefined;

if (kind === 'selector' || kind === 'blocking') {
  const server =
    kind === 'selector'
      ? await selectorStrategy.listen({ port: 0 })
      : await getStrategy('blocking').listen({ port: 0, codec: 'lines' });
  stats = () => server.stats();
  send({ port: (server.address as TcpAddress).port });
} else if (kind === 'net-pipe') {
  const server = createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    send({ port: address.port });
  });
} else {
  throw new Error(`unknown server kind ${String(kind)}: selector, blocking or net-pipe`);
}

process.on('message', (question) => {
  if (question === 'cpu') send({ cpu: process.cpuUsage() });
  if (question === 'memory') {
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    const fds = readdirSync('/proc/self/fd').length;
    const { active, bufferedBytes } = stats() ?? {};
    const memory: ServerMemory = { rss, heapUsed, fds, active, bufferedBytes };
    send({ memory });
  }
});
process.on('disconnect', () => process.exit(0));
