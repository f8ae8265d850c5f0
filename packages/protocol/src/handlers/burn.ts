import { createHash } from 'node:crypto';
import { InvalidOptionError } from '../errors.js';
import type { Handler } from '../handler.js';

/**
 * Rounds used when `options.rounds` is not given: about 200 us of CPU for a 1 KiB request.
 * Measured on 2026-11-29 with `scripts/measure-burn.ts` on the project's 2-core CI machine,
 * Node 20.20: one round costs 2.1-2.3 us when the machine is quiet and 2.3-2.7 us while other
 * processes load both cores (as in a benchmark), so 80 rounds took a median of 185-200 us of CPU
 * per request (the previous default, 64, took about 145 us).
 */
export const DEFAULT_BURN_ROUNDS = 80;

/**
 * CPU-bound: `rounds` SHA-256 rounds, each over the previous digest and the request, then the
 * request unchanged as the reply, so a burn reply is verified exactly like an echo.
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
  let digest = Buffer.alloc(32);
  for (let round = 0; round < rounds; round++) {
    digest = createHash('sha256').update(digest).update(request).digest();
  }
  // Keep the result observable so the work cannot be optimised away.
  if (digest.length !== 32) throw new Error('unreachable');
  return request;
};

export default burn;
