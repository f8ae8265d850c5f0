import { randomBytes } from 'node:crypto';

/** Distinct payloads per size, so a reply routed to the wrong request cannot pass as right. */
const VARIANTS = 8;

const bySize = new Map<number, Buffer[]>();

/**
 * The `index`th of a few random payloads of `size` bytes, made once per size: requests cost the
 * load generator a lookup, not an allocation, and consecutive requests differ.
 */
export function randomPayload(size: number, index: number): Buffer {
  let variants = bySize.get(size);
  if (!variants) {
    variants = Array.from({ length: VARIANTS }, () => randomBytes(size));
    bySize.set(size, variants);
  }
  return variants[index % VARIANTS]!;
}
