import type { TcpAddress } from '@switchyard/protocol';
import { ErrorCode } from '@switchyard/protocol';
import { probeReusePort, reusePortUnsupported } from '@switchyard/server-core';
import { describe, expect, test } from 'vitest';
import { startServer, TestServer } from './helpers.js';

describe('which Node shares a port with reusePort', () => {
  test.each([
    ['20.20.2', 'linux', false],
    ['22.11.0', 'linux', false],
    ['22.12.0', 'linux', true],
    ['23.0.0', 'linux', false],
    ['23.1.0', 'linux', true],
    ['26.10.0', 'linux', true],
    ['26.10.0', 'freebsd', true],
    ['26.10.0', 'darwin', false],
    ['26.10.0', 'win32', false],
  ])('Node %s on %s: %s', (version, platform, shares) => {
    const why = reusePortUnsupported(version, platform);
    expect(why === undefined).toBe(shares);
    if (!shares) expect(why).toMatch(version.startsWith('26') ? platform : version);
  });

  test('trying it agrees with the version and platform', async () => {
    expect(await probeReusePort('127.0.0.1')).toBe(reusePortUnsupported());
  });
});

const unsupported = reusePortUnsupported();

test.runIf(unsupported !== undefined)(
  'listen with reusePort fails with SWITCHYARD_ERR_REUSEPORT_UNSUPPORTED where Node would ignore it',
  async () => {
    const server = new TestServer({ reusePort: true });
    await expect(server.listen()).rejects.toMatchObject({
      code: ErrorCode.REUSEPORT_UNSUPPORTED,
      message: expect.stringContaining(unsupported ?? ''),
    });
    // Nothing is left listening: destroy has nothing to wait for.
    await server.destroy();
  },
);

test.skipIf(unsupported !== undefined)(
  `two servers with reusePort listen on one port (skipped here: ${unsupported})`,
  async () => {
    const first = await startServer({ reusePort: true });
    const { port } = first.address as TcpAddress;
    const second = await startServer({ reusePort: true, port });
    expect((second.address as TcpAddress).port).toBe(port);
  },
);
