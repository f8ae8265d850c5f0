// Whether large replies stall on Nagle's algorithm and delayed ACKs: one connection, depth 1,
// 10 KiB and 100 KiB messages (by default) for a few seconds each, from a client that leaves
// Nagle on as a naive client would. A stall shows as about 40 ms per reply, at most ~25 req/s;
// without one, loopback does thousands. Exits 1 under 500 req/s.
//
//   pnpm lab nagle-check [--seconds 2] [--sizes 10240,102400] [--contender selector|net-pipe]
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { isServerKind, spawnServer } from './support/spawn-server.js';
import { boundedCount } from './support/stats.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    sizes: { type: 'string', default: '10240,102400' },
    contender: { type: 'string', default: 'selector' },
  },
});
const seconds = boundedCount('seconds', values.seconds, 5);
const sizes = values.sizes.split(',').map((size) => boundedCount('sizes', size, 16 * 1024 * 1024));
const contender = values.contender;
if (!isServerKind(contender))
  throw new Error(`--contender: selector or net-pipe, not ${contender}`);
const STALL_SUSPECTED_BELOW = 500;

/** Depth-1 echo of `size`-byte messages on one connection for `seconds`; returns req/s. */
async function oneConnection(port: number, size: number): Promise<number> {
  // Nagle stays on in this client: only the server's noDelay decides whether replies stall.
  const socket = connect({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  const message = randomBytes(size);
  let requests = 0;
  let received = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      if (!message.subarray(received, received + chunk.length).equals(chunk)) {
        reject(new Error(`echo mismatch at byte ${received}`));
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

const server = await spawnServer(contender);
let stalled = false;
try {
  console.log(
    `node ${process.version}, ${contender}, one connection, depth 1, ${seconds} s per size`,
  );
  for (const size of sizes) {
    const rate = await oneConnection(server.port, size);
    if (rate < STALL_SUSPECTED_BELOW) stalled = true;
    const verdict = rate < STALL_SUSPECTED_BELOW ? 'STALL?' : 'ok';
    console.log(`${(size / 1024).toFixed(0)} KiB: ${rate.toFixed(0)} req/s ${verdict}`);
  }
} finally {
  await server.stop();
}
process.exitCode = stalled ? 1 : 0;
