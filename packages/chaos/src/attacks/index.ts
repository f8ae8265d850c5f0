import { InvalidOptionError } from '@switchyard/protocol';
import type { Attack } from '../attack.js';
import { dribble } from './dribble.js';
import { flood } from './flood.js';
import { garbage } from './garbage.js';
import { neverRead } from './never-read.js';
import { oversized } from './oversized.js';
import { partial } from './partial.js';
import { reset } from './reset.js';
import { slowloris } from './slowloris.js';

export { type DribbleOptions, dribble } from './dribble.js';
export { type FloodOptions, flood } from './flood.js';
export { type GarbageOptions, garbage } from './garbage.js';
export { type NeverReadOptions, neverRead } from './never-read.js';
export { type OversizedOptions, oversized } from './oversized.js';
export { type PartialOptions, partial } from './partial.js';
export { type ResetOptions, reset } from './reset.js';
export { type SlowlorisOptions, slowloris } from './slowloris.js';

/** The built-in attacks with their default bounds, in the order a run takes them. */
export function builtinAttacks(): Attack[] {
  return [slowloris(), dribble(), partial(), neverRead(), oversized(), garbage(), reset(), flood()];
}

/** Names of the built-in attacks. */
export const attackNames: readonly string[] = Object.freeze(
  builtinAttacks().map((attack) => attack.name),
);

/**
 * The built-in attacks named in a list (`all`, or comma-separated names), in the order given.
 * Throws `SWITCHYARD_ERR_INVALID_OPTION` naming `option` for a name it does not know.
 */
export function selectAttacks(list: string, option = '--attacks'): Attack[] {
  const all = builtinAttacks();
  if (list.trim() === 'all') return all;
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) {
    throw new InvalidOptionError(option, `expected all or attack names: ${attackNames.join(', ')}`);
  }
  return [...new Set(names)].map((name) => {
    const attack = all.find((candidate) => candidate.name === name);
    if (!attack) {
      throw new InvalidOptionError(
        option,
        `unknown attack "${name}"; expected all or some of ${attackNames.join(', ')}`,
      );
    }
    return attack;
  });
}
