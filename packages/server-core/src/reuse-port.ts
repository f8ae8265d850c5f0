import { once } from 'node:events';
import { createServer, type Server } from 'node:net';

/** Where libuv implements `SO_REUSEPORT` with load balancing (`process.platform` names). */
const REUSE_PORT_PLATFORMS: readonly string[] = ['linux', 'freebsd', 'sunos', 'aix'];

/**
 * Why `listen({ reusePort: true })` would not share a port on this Node, or undefined when it
 * should: the option exists from Node 22.12 on the 22 line and 23.1 after it, on the platforms
 * where libuv balances connections; older Nodes ignore it without a word. Synchronous, from the
 * version and platform; {@link probeReusePort} tries it for real.
 */
export function reusePortUnsupported(
  version: string = process.versions.node,
  platform: string = process.platform,
): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const known = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
  if (!known) return `Node ${version} ignores the reusePort option (it needs 22.12, or 23.1 on)`;
  if (!REUSE_PORT_PLATFORMS.includes(platform)) return `${platform} has no balanced SO_REUSEPORT`;
  return undefined;
}

/**
 * Tries what {@link reusePortUnsupported} infers: two listeners with `reusePort` on one port of
 * `host`, closed again at once. Resolves with why they could not share it, or undefined.
 */
export async function probeReusePort(host: string): Promise<string | undefined> {
  const inferred = reusePortUnsupported();
  if (inferred !== undefined) return inferred;
  const servers: Server[] = [];
  try {
    let port = 0;
    for (let index = 0; index < 2; index++) {
      const server = createServer();
      servers.push(server);
      server.listen({ host, port, reusePort: true } as Parameters<Server['listen']>[0]);
      await once(server, 'listening');
      port = (server.address() as { port: number }).port;
    }
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return `a second listener on the same port of ${host} failed (${code})`;
  } finally {
    await Promise.all(
      servers.map((server) => new Promise((resolve) => server.close(() => resolve(undefined)))),
    );
  }
}
