import { describe, expect, test } from 'vitest';
import {
  answersIn,
  type ConnectionEvent,
  type ConnectionState,
  connectionTransition,
  readsIn,
} from '../src/connection-state.js';

const STATES: readonly ConnectionState[] = ['open', 'read-ended', 'closing', 'ending', 'closed'];
const EVENTS: readonly ConnectionEvent[] = [
  'read-end',
  'close-gracefully',
  'idle',
  'give-up',
  'destroyed',
];

/** Applies `events` in order from `open`, returning each state passed through and each effect. */
function run(...events: ConnectionEvent[]): string[] {
  let state: ConnectionState = 'open';
  const seen: string[] = [];
  for (const event of events) {
    const next = connectionTransition(state, event);
    state = next.state;
    seen.push(next.effect === 'none' ? state : `${state} (${next.effect})`);
  }
  return seen;
}

describe('connection states', () => {
  test('a half-close: the client ends, the replies owed go out, then we end', () => {
    expect(run('read-end', 'idle', 'destroyed')).toEqual(['read-ended', 'ending (end)', 'closed']);
  });

  test('a graceful close stops reading, waits for the replies owed, then ends and lingers', () => {
    expect(run('close-gracefully', 'idle', 'destroyed')).toEqual([
      'closing (stop-reading)',
      'ending (linger)',
      'closed',
    ]);
  });

  test('a graceful close after the client ended still lingers (so nothing unread is reset)', () => {
    expect(run('read-end', 'close-gracefully', 'idle')).toEqual([
      'read-ended',
      'closing (stop-reading)',
      'ending (linger)',
    ]);
  });

  test('nothing owed while open changes nothing: a connection is idle between requests', () => {
    expect(connectionTransition('open', 'idle')).toEqual({ state: 'open', effect: 'none' });
  });

  test('the client ending while we close, or a second close, changes nothing', () => {
    expect(run('close-gracefully', 'read-end', 'close-gracefully')).toEqual([
      'closing (stop-reading)',
      'closing',
      'closing',
    ]);
  });

  test('once ending, only the socket closing moves it on', () => {
    for (const event of EVENTS) {
      const expected = event === 'destroyed' ? 'closed' : 'ending';
      expect(connectionTransition('ending', event)).toEqual({ state: expected, effect: 'none' });
    }
  });

  test('destroyed closes from every state, with nothing more to do, and closed is final', () => {
    for (const state of STATES) {
      expect(connectionTransition(state, 'destroyed')).toEqual({ state: 'closed', effect: 'none' });
    }
    for (const event of EVENTS) {
      expect(connectionTransition('closed', event)).toEqual({ state: 'closed', effect: 'none' });
    }
  });

  test('giving up on what is owed ends and lingers at once, from every state that still answers', () => {
    expect(run('give-up', 'idle', 'destroyed')).toEqual(['ending (linger)', 'ending', 'closed']);
    expect(run('read-end', 'give-up')).toEqual(['read-ended', 'ending (linger)']);
    expect(run('close-gracefully', 'give-up')).toEqual([
      'closing (stop-reading)',
      'ending (linger)',
    ]);
  });

  test('we end our side on one transition per path; reading stops only for a graceful close', () => {
    const effects = STATES.flatMap((state) =>
      EVENTS.map((event) => connectionTransition(state, event).effect).filter((e) => e !== 'none'),
    );
    expect(effects.sort()).toEqual([
      'end',
      'linger',
      'linger',
      'linger',
      'linger',
      'stop-reading',
      'stop-reading',
    ]);
  });

  test('reading may resume only while open or after the client ended', () => {
    expect(STATES.filter(readsIn)).toEqual(['open', 'read-ended']);
  });

  test('handler results are wanted until the connection ends its side', () => {
    expect(STATES.filter(answersIn)).toEqual(['open', 'read-ended', 'closing']);
  });

  test('the same answer is the same object: the hot path allocates nothing', () => {
    expect(connectionTransition('open', 'idle')).toBe(connectionTransition('open', 'idle'));
    expect(connectionTransition('ending', 'destroyed')).toBe(
      connectionTransition('open', 'destroyed'),
    );
  });
});
