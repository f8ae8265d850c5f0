import { createHash } from 'node:crypto';
import { InvalidOptionError } from '../errors.js';
import type { Handler } from '../handler.js';

/**
 * Rounds used when `options.rounds` is not given: about 200 us of CPU for a 1 KiB request on a
 * typical 2020s server core (measured with `switchyard bench --workload burn`).
 */
export const DEFAULT_BURN_ROUNDS = 64;

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
