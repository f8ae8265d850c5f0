import { hash } from 'node:crypto';
import { InvalidOptionError } from '../errors.js';
import type { Handler } from '../handler.js';

/**
 * Rounds used when `options.rounds` is not given: about 200 us of CPU for a 1 KiB request. One
 * round costs about 1.1 us of CPU on the project's 2-core CI machine, so 175 rounds is about
 * 200 us; `pnpm lab burn-cost` measures it on yours (docs/benchmarks.md has the figures).
 */
export const DEFAULT_BURN_ROUNDS = 175;

/**
 * CPU-bound: `rounds` SHA-256 rounds, each over the previous digest and the request, then the
 * request unchanged as the reply, so a burn reply is verified exactly like an echo.
 *
 * Each round is one `crypto.hash` call over a scratch buffer holding `digest || request`; the
 * digest comes back as a 32-character binary (latin1) string and is written back into the
 * scratch buffer, so the handler makes almost no garbage. It must not: a `createHash()` per round
 * makes a `Hash` stream object each time, and even a Buffer digest allocates an ArrayBuffer;
 * collecting those takes a quarter to a half of the handler's CPU, partly on V8's GC helper
 * threads and more in worker threads than on the main thread, so a benchmark would measure the
 * garbage collector as much as the CPU work the handler models.
 */
const burn: Handler = (request, context) => {
  const rounds = Number(context.options.rounds ?? DEFAULT_BURN_ROUNDS);
  // A typo must not quietly turn a CPU benchmark into an echo benchmark.
  if (!Number.isInteger(rounds) || rounds < 0) {
    throw new InvalidOptionError(
      'rounds',
      `expected a non-negative integer, got ${String(context.options.rounds)}`,
    );
  }
  const scratch = Buffer.alloc(32 + request.byteLength);
  scratch.set(request, 32);
  let digest = '';
  for (let round = 0; round < rounds; round++) {
    digest = hash('sha256', scratch, 'binary');
    scratch.write(digest, 0, 32, 'binary');
  }
  // Keep the result observable so the work cannot be optimised away.
  if (rounds > 0 && digest.length !== 32) throw new Error('unreachable');
  return request;
};

export default burn;
