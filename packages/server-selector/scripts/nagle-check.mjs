#!/usr/bin/env node
// Dev tool: one connection, depth 1, large messages (10 KiB and 100 KiB by default) for a couple
// of seconds each. A Nagle + delayed-ACK stall shows as about 40 ms per reply, i.e. at most ~25
// req/s; without one, loopback does thousands. Fails (exit code 1) under 500 req/s.
//
//   node packages/server-selector/scripts/nagle-check.mjs [--seconds 2] [--sizes 10240,102400]
//        [--contender selector|net-pipe]
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { spawnServer } from './spawn-server.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    sizes: { type: 'string', default: '10240,102400' },
    contender: { type: 'string', default: 'selector' },
  },
});
const seconds = Math.min(Number(values.seconds), 5);
const STALL_SUSPECTED_BELOW = 500;

/** Depth-1 echo of `size`-byte messages on one connection for `seconds`; returns req/s. */
async function oneConnection(port, size) {
  // The client leaves Nagle on (Node's default), as a naive client would: only the server's
  // noDelay decides whether replies stall.
  const socket = connect({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  const message = randomBytes(size);
  let requests = 0;
  let received = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      if (!message.subarray(received, received + chunk.length).equals(chunk)) {
        reject(new Error('echo mismatch'));
      }
      received += chunk.length;
      if (received < size) return;
      requests++;
      received = 0;
      if (performance.now() < deadline) socket.write(message);
      else resolve();
    });
    socket.write(message);
  });
  const rate = requests / ((performance.now() - started) / 1000);
  socket.destroy();
  return rate;
}

const server = await spawnServer(values.contender);
let stalled = false;
try {
  console.log(
    `node ${process.version}, ${values.contender}, one connection, depth 1, ${seconds} s per size`,
  );
  for (const size of values.sizes.split(',').map(Number)) {
    const rate = await oneConnection(server.port, size);
    const verdict = rate < STALL_SUSPECTED_BELOW ? 'STALL?' : 'ok';
    if (rate < STALL_SUSPECTED_BELOW) stalled = true;
    console.log(`${(size / 1024).toFixed(0)} KiB: ${rate.toFixed(0)} req/s ${verdict}`);
  }
} finally {
  await server.stop();
}
process.exitCode = stalled ? 1 : 0;
