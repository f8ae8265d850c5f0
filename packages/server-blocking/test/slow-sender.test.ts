import { ErrorCode } from '@switchyard/protocol';
import { describe, expect, test, vi } from 'vitest';
import { collectFailures, connectClient, startServer } from './helpers.js';

const FRAME_TIMEOUT_MS = 200;

describe('a client dribbling a frame', () => {
  // `frameTimeoutMs` is enforced by server-core's connection loop, which this branch does not
  // have yet: `fails` marks the test as expected to fail until then; make it a plain `test` once
  // server-core enforces the deadline.
  test.fails(
    'holds the line no longer than frameTimeoutMs, then the next client is served',
    async () => {
      const server = await startServer({ codec: 'lines', frameTimeoutMs: FRAME_TIMEOUT_MS });
      const failures = collectFailures(server);
      const slow = await connectClient(server);
      slow.socket.write('a frame that never ');
      const next = await connectClient(server);
      next.socket.write('next\n');
      await vi.waitFor(() => expect(server.waiting).toBe(1));
      // Real time: the deadline is short, and the test waits on the close, not a sleep.
      await slow.closed;
      await next.receive('next\n');
      expect(slow.received()).toBe('');
      expect(failures.map(({ error }) => error.code)).toEqual([ErrorCode.FRAME_TIMEOUT]);
    },
    // Ten deadlines: ample once the deadline is enforced, short while the test is expected to fail.
    10 * FRAME_TIMEOUT_MS,
  );
});
