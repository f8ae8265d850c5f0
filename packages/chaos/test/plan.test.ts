import { getCodec, InvalidOptionError } from '@switchyard/protocol';
import { describe, expect, it } from 'vitest';
import type { Attack } from '../src/attack.js';
import { planAttacks } from '../src/attack.js';
import { attackNames, builtinAttacks, selectAttacks } from '../src/attacks/index.js';
import { isLoopback, resolveChaosOptions } from '../src/options.js';

const fake = (name: string, traits: Partial<Attack> = {}): Attack => ({
  name,
  description: name,
  start: () => {
    throw new Error('not started in this test');
  },
  ...traits,
});

describe('which attacks run', () => {
  const attacks = [
    fake('plain'),
    fake('framed', { needsFrameBoundaries: true }),
    fake('holding', { holdsConnection: true }),
  ];

  it('runs every attack against a concurrent server speaking a framed codec', () => {
    const plan = planAttacks(attacks, { codec: getCodec('lines'), connections: 'concurrent' });
    expect(plan.map(({ attack, skip }) => [attack.name, skip])).toEqual([
      ['plain', undefined],
      ['framed', undefined],
      ['holding', undefined],
    ]);
  });

  it('skips attacks on frame boundaries for a codec whose every read is a frame', () => {
    const plan = planAttacks(attacks, { codec: getCodec('raw'), connections: 'concurrent' });
    expect(plan[1]!.skip).toBe(
      'raw declares frameIsChunk: every read is a whole frame, none partial or over a limit',
    );
    expect(plan.filter(({ skip }) => skip !== undefined)).toHaveLength(1);
  });

  it('skips attacks that hold a connection for a server that serves one at a time', () => {
    const plan = planAttacks(attacks, { codec: getCodec('lines'), connections: 'one-at-a-time' });
    expect(plan[2]!.skip).toMatch(/^holds its connections until the server ends them/);
    expect(plan.filter(({ skip }) => skip !== undefined)).toHaveLength(1);
  });

  it('declares, for the built-in attacks, which hold connections and which need frames', () => {
    const traits = builtinAttacks().map((attack) => [
      attack.name,
      attack.holdsConnection === true,
      attack.needsFrameBoundaries === true,
    ]);
    expect(traits).toEqual([
      ['slowloris', true, true],
      ['dribble', true, true],
      ['partial', true, true],
      ['never-read', true, false],
      ['oversized', false, true],
      ['garbage', false, false],
      ['reset', false, false],
      ['flood', false, false],
    ]);
  });

  it('selects built-in attacks by name, all of them by "all", and refuses unknown names', () => {
    expect(selectAttacks('reset, dribble,reset').map((attack) => attack.name)).toEqual([
      'reset',
      'dribble',
    ]);
    expect(selectAttacks('all').map((attack) => attack.name)).toEqual(attackNames);
    expect(() => selectAttacks('dribble,teardrop')).toThrow(
      'unknown attack "teardrop"; expected all or some of slowloris, dribble, partial, never-read, oversized, garbage, reset, flood',
    );
  });
});

describe('chaos options', () => {
  it('takes loopback addresses only', () => {
    for (const host of [
      '127.0.0.1',
      '127.8.9.10',
      '::1',
      '[::1]',
      'localhost',
      '::ffff:127.0.0.1',
    ]) {
      expect(isLoopback(host), host).toBe(true);
    }
    for (const host of ['10.0.0.1', '0.0.0.0', '::', 'example.com', '128.0.0.1']) {
      expect(isLoopback(host), host).toBe(false);
    }
    expect(() => resolveChaosOptions({ target: { host: '192.168.1.10', port: 7000 } })).toThrow(
      InvalidOptionError,
    );
  });

  it('needs a target or a server to start, not both', () => {
    expect(() => resolveChaosOptions({})).toThrow(/give a target/);
  });

  it('runs echo over length-prefixed by default, and a given workload over its own codec', () => {
    const target = { host: '127.0.0.1', port: 7000 };
    expect(resolveChaosOptions({ target })).toMatchObject({
      workload: 'echo',
      codec: 'length-prefixed',
    });
    expect(resolveChaosOptions({ target, workload: './kv.mjs' }).codec).toBeUndefined();
    expect(resolveChaosOptions({ target, workload: 'echo', codec: 'raw' }).codec).toBe('raw');
  });

  it('gives a one-at-a-time server fewer good clients, and refuses nonsense', () => {
    const target = { host: '127.0.0.1', port: 7000 };
    expect(resolveChaosOptions({ target }).connections).toBe(4);
    const line = resolveChaosOptions({ target, capabilities: { connections: 'one-at-a-time' } });
    expect(line).toMatchObject({ connections: 2, oneAtATime: true });
    expect(() => resolveChaosOptions({ target, durationMs: 0 })).toThrow(/durationMs/);
    expect(() => resolveChaosOptions({ target, maxFrameBytes: 2 ** 30 })).toThrow(/up to/);
    expect(() => resolveChaosOptions({ target, attacks: ['nope'] })).toThrow(/unknown attack/);
  });
});
