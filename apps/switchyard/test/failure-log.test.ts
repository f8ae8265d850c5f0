import { ErrorCode, HandlerFailedError, type SwitchyardError } from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import { FailureLog, formatFailure, LineBudget } from '../src/failure-log.js';

const failure = (error: SwitchyardError, connectionId = 7) => ({
  connectionId,
  remoteAddress: '127.0.0.1',
  remotePort: 51234,
  error,
});

describe('formatFailure', () => {
  test('connection, address, code and message on one line', () => {
    const error = new HandlerFailedError('handler failed: database connection lost', {
      cause: new Error('database connection lost'),
    });
    expect(formatFailure(failure(error))).toBe(
      'connection 7 127.0.0.1:51234: SWITCHYARD_ERR_HANDLER_FAILED: handler failed: database connection lost',
    );
  });

  test('adds a cause the message lacks, and brackets an IPv6 address', () => {
    const error = new HandlerFailedError('handler failed', { cause: new Error('ECONNREFUSED') });
    expect(formatFailure({ ...failure(error), remoteAddress: '::1' })).toBe(
      `connection 7 [::1]:51234: ${ErrorCode.HANDLER_FAILED}: handler failed (cause: ECONNREFUSED)`,
    );
  });
});

describe('LineBudget', () => {
  test('allows a burst, then refills at the rate', () => {
    let now = 0;
    const budget = new LineBudget(3, 2, () => now);
    expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    now += 499;
    expect(budget.take()).toBe(false);
    now += 1;
    expect(budget.take()).toBe(true);
    now += 60_000;
    expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });
});

describe('FailureLog', () => {
  test('a flood writes the burst, counts the rest, and says so on the next line and on flush', () => {
    let now = 0;
    const lines: string[] = [];
    const log = new FailureLog((line) => lines.push(line), new LineBudget(2, 1, () => now));
    const error = new HandlerFailedError('handler failed: boom');
    for (let id = 1; id <= 1000; id++) log.record(failure(error, id));
    expect(lines).toHaveLength(2);
    now += 1000;
    log.record(failure(error, 1001));
    expect(lines.slice(2)).toEqual([
      '998 failures not logged (rate limit)\n',
      `connection 1001 127.0.0.1:51234: ${ErrorCode.HANDLER_FAILED}: handler failed: boom\n`,
    ]);
    log.record(failure(error, 1002));
    log.flush();
    expect(lines.at(-1)).toBe('1 failures not logged (rate limit)\n');
    log.flush();
    expect(lines.at(-1)).toBe('1 failures not logged (rate limit)\n');
  });
});
