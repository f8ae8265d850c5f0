#!/usr/bin/env node
// Dev tool, not a benchmark suite (that is `switchyard bench`): a short, bounded loopback echo
// load against the selector and a bare `net` echo server (noDelay, `socket.pipe(socket)`), each in
// its own process, alternating, to see whether the selector pays an abstraction tax.
//
//   node packages/server-selector/scripts/echo-load.mjs [--connections 100] [--bytes 1024]
//        [--seconds 2] [--rounds 5]
//
// Depth 1: each connection sends one message, waits for all of its bytes back (checked byte for
// byte), then sends the next. Prints, per contender, the median over rounds of server CPU
// microseconds per request (process.cpuUsage of the server process) and of requests per second.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { median, spawnServer } from './spawn-server.mjs';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '100' },
    bytes: { type: 'string', default: '1024' },
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    contenders: { type: 'string', default: 'selector,net-pipe' },
  },
});
const connections = Number(values.connections);
const messageBytes = Number(values.bytes);
const seconds = Math.min(Number(values.seconds), 5);
const rounds = Number(values.rounds);
const contenders = values.contenders.split(',');

/** Runs depth-1 echo load on `port` for `seconds`; returns completed requests. */
async function load(port) {
  let requests = 0;
  let running = true;
  const sockets = await Promise.all(
    Array.from({ length: connections }, async () => {
      const socket = connect({ port, host: '127.0.0.1', noDelay: true });
      await once(socket, 'connect');
      return socket;
    }),
  );
  const finished = sockets.map(
    (socket) =>
      new Promise((resolve, reject) => {
        const message = randomBytes(messageBytes);
        let received = 0;
        socket.on('error', reject);
        socket.on('data', (chunk) => {
          if (!message.subarray(received, received + chunk.length).equals(chunk)) {
            reject(new Error(`echo mismatch at byte ${received}`));
          }
          received += chunk.length;
          if (received < messageBytes) return;
          if (received > messageBytes) reject(new Error('echo sent more than asked'));
          requests++;
          received = 0;
          if (running) socket.write(message);
          else socket.end();
        });
        socket.on('end', resolve);
        socket.write(message);
      }),
  );
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  await Promise.all(finished);
  return requests;
}

const results = Object.fromEntries(contenders.map((name) => [name, []]));
console.log(
  `node ${process.version}, ${connections} connections, ${messageBytes} B messages, depth 1, ` +
    `${seconds} s x ${rounds} rounds per contender, alternating (after one warm-up round each)`,
);
// Both servers stay up for the whole run and take turns, so a change in the machine's load
// (it is shared) hits both alike; the warm-up round lets each one's JIT settle.
const servers = [];
for (const kind of contenders) servers.push(await spawnServer(kind));
try {
  for (let round = 0; round <= rounds; round++) {
    // Alternate which contender goes first so drift in machine load does not favour one.
    const order = round % 2 ? servers : [...servers].reverse();
    for (const server of order) {
      const cpuBefore = await server.cpuMicros();
      const started = performance.now();
      const requests = await load(server.port);
      const elapsed = (performance.now() - started) / 1000;
      const cpu = (await server.cpuMicros()) - cpuBefore;
      const row = { requestsPerSecond: requests / elapsed, cpuMicrosPerRequest: cpu / requests };
      if (round > 0) results[server.kind].push(row);
      console.log(
        `${round === 0 ? 'warm-up' : `round ${round}`} ${server.kind.padEnd(9)} ` +
          `${row.requestsPerSecond.toFixed(0).padStart(7)} req/s ` +
          `${row.cpuMicrosPerRequest.toFixed(2).padStart(6)} us server CPU/req`,
      );
    }
  }
} finally {
  await Promise.all(servers.map((server) => server.stop()));
}
console.log('\nmedians');
console.log('contender | req/s | server CPU us/req');
for (const kind of contenders) {
  const rows = results[kind];
  console.log(
    `${kind} | ${median(rows.map((r) => r.requestsPerSecond)).toFixed(0)} | ` +
      `${median(rows.map((r) => r.cpuMicrosPerRequest)).toFixed(2)}`,
  );
}
