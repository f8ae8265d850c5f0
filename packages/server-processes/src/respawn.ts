/**
 * When to replace a child that died: a pure function of how long it lived and of the deaths
 * before it, so the rule is tested on its own. A child that served a while is replaced at once;
 * children that keep dying soon after they start (a handler whose setup fails, a port taken) are
 * replaced after a delay that doubles each time, so a broken deployment does not spin.
 */

export interface RespawnPolicy {
  /** A child that lived at least this long ends a streak of early deaths. */
  readonly stableMs: number;
  /** Delay after the second early death in a row; doubles with each one after. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RESPAWN_POLICY: RespawnPolicy = {
  stableMs: 10_000,
  firstDelayMs: 100,
  maxDelayMs: 10_000,
};

/** Early deaths in a row in one slot, the one just seen included. */
export type Streak = number;

export interface RespawnDecision {
  readonly streak: Streak;
  readonly delayMs: number;
}

/**
 * What to do after a child died having lived `livedMs`, given the slot's `streak` before it:
 * the first death in a streak (or any death after a stable life) is replaced at once; the
 * second after `firstDelayMs`, then twice that each time, up to `maxDelayMs`.
 */
export function afterDeath(
  streak: Streak,
  livedMs: number,
  policy: RespawnPolicy = DEFAULT_RESPAWN_POLICY,
): RespawnDecision {
  const next = livedMs >= policy.stableMs ? 1 : streak + 1;
  const delayMs =
    next <= 1 ? 0 : Math.min(policy.firstDelayMs * 2 ** (next - 2), policy.maxDelayMs);
  return { streak: next, delayMs };
}
