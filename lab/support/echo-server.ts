// An echo server in its own process, for the lab's load scripts: `selector` (the selector
// strategy with its defaults), `blocking` (the blocking strategy, `lines` codec), `net-pipe` (a
// bare `net` echo server: noDelay plus `socket.pipe(socket)`, the floor the selector is compared
// with), or `worker-pool:offload` / `worker-pool:handoff` (the pool in that mode, as
// `switchyard serve` runs it, with its default workers and `gc-echo-handler.mjs`). It sends its
// port to the parent, then answers `cpu` (process.cpuUsage) and `memory` (RSS, and the used heap
// of every thread, after a full GC on every thread when started with `--gc`; its open fds) over
// IPC, and exits when the parent disconnects.
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BroadcastChannel } from 'node:worker_threads';
import { getContender, getStrategy } from '@switchyard/cli';
import type { ServerStats, TcpAddress } from '@switchyard/protocol';
import { selectorStrategy } from '@switchyard/server-selector';
import type { ServerKind, ServerMemory, ToParent } from './spawn-server.js';

const kind = process.argv[2] as ServerKind;
const send = (message: ToParent) => process.send!(message);
// `--gc` exposes gc at run time, before any thread starts, which gives every later thread `gc`
// too: `--expose-gc` on the command line would reach a pool's workers from sources in their
// execArgv, where Node refuses it (ERR_WORKER_INVALID_EXEC_ARGV).
if (process.argv[3] === '--gc') setFlagsFromString('--expose-gc');
const gc = process.argv[3] === '--gc' ? (runInNewContext('gc') as () => void) : () => {};
let stats = (): ServerStats | undefined => undefined;
/** Collects the heap of every thread but this one, and says how much of it is used. */
let collectOtherThreads = async (): Promise<number> => 0;

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
} else if (kind === 'worker-pool:offload' || kind === 'worker-pool:handoff') {
  // The pool's own check refuses a mode this Node cannot run (handoff before Node 26).
  const contender = getContender(kind);
  const server = await contender.strategy.listen({
    ...contender.options,
    port: 0,
    handler: fileURLToPath(new URL('./gc-echo-handler.mjs', import.meta.url)),
  });
  stats = () => server.stats();
  const channel = new BroadcastChannel('lab-gc');
  channel.unref();
  collectOtherThreads = async () => {
    const threads = server.stats().workers?.length ?? 0;
    let heapUsed = 0;
    const answered = new Promise<void>((resolve) => {
      let answers = 0;
      channel.onmessage = (event) => {
        heapUsed += (event as { data: { heapUsed: number } }).data.heapUsed;
        if (++answers === threads) resolve();
      };
    });
    channel.postMessage('collect');
    await answered;
    return heapUsed;
  };
  send({ port: (server.address as TcpAddress).port });
} else {
  throw new Error(`unknown server kind ${String(kind)}`);
}

process.on('message', async (question) => {
  if (question === 'cpu') send({ cpu: process.cpuUsage() });
  if (question === 'memory') {
    const otherHeaps = await collectOtherThreads();
    gc();
    const { rss, heapUsed: ownHeap } = process.memoryUsage();
    const heapUsed = ownHeap + otherHeaps;
    const fds = readdirSync('/proc/self/fd').length;
    const { active, bufferedBytes } = stats() ?? {};
    const memory: ServerMemory = { rss, heapUsed, fds, active, bufferedBytes };
    send({ memory });
  }
});
process.on('disconnect', () => process.exit(0));
