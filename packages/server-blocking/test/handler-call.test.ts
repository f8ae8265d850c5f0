import { describe, expect, onTestFinished, test, vi } from 'vitest';
import { HandlerCall } from '../src/handler-call.js';
import { deferred } from './helpers.js';

function fakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  onTestFinished(() => {
    vi.useRealTimers();
  });
}

describe('HandlerCall', () => {
  test('is settled when its promise resolves or rejects before the deadline', async () => {
    fakeTimers();
    for (const outcome of ['resolves', 'rejects'] as const) {
      let settle!: () => void;
      const result = new Promise<void>((resolve, reject) => {
        settle = outcome === 'resolves' ? resolve : () => reject(new Error('handler failed'));
      });
      const call = new HandlerCall(result, 1000);
      expect(call.state).toBe('running');
      settle();
      expect(await call.done).toBe('settled');
      expect(call.state).toBe('settled');
      expect(vi.getTimerCount()).toBe(0);
    }
  });

  test('is overdue once the deadline passes, and stays so if it settles later', async () => {
    fakeTimers();
    const result = deferred<void>();
    const call = new HandlerCall(result.promise, 1000);
    await vi.advanceTimersByTimeAsync(999);
    expect(call.state).toBe('running');
    await vi.advanceTimersByTimeAsync(1);
    expect(call.state).toBe('overdue');
    expect(await call.done).toBe('overdue');
    result.resolve();
    await Promise.resolve();
    expect(call.state).toBe('overdue');
  });

  test('with a deadline of 0 waits however long the call takes', async () => {
    fakeTimers();
    const result = deferred<void>();
    const call = new HandlerCall(result.promise, 0);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(call.state).toBe('running');
    result.resolve();
    expect(await call.done).toBe('settled');
  });
});
