import type { ServerAddress } from '@switchyard/protocol';
import type { ExternalTarget } from './types.js';

/** Where an external target listens. */
export function externalAddress(target: ExternalTarget): ServerAddress {
  if (target.path !== undefined) return { family: 'unix', path: target.path };
  return {
    host: target.host,
    port: target.port,
    family: target.host.includes(':') ? 'IPv6' : 'IPv4',
  };
}
