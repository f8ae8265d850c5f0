import type { Attack } from '../attack.js';
import { AttackConnections } from '../connections.js';

export interface ResetOptions {
  /** Connections at once. Default 8. */
  readonly connections?: number;
  /** Connections in all, one after another on each. Default 400. */
  readonly rounds?: number;
  /** Requests each sends before its reset. Default 16. */
  readonly requests?: number;
}

/**
 * Connections that send a few valid requests and reset (TCP RST) as soon as they are written:
 * the server is mid-read or mid-reply when its peer vanishes.
 */
export function reset(options: ResetOptions = {}): Attack {
  const { connections = 8, rounds = 400, requests = 16 } = options;
  return {
    name: 'reset',
    description: `${rounds} connections, ${connections} at a time, send ${requests} requests and reset`,
    start(target) {
      const attack = new AttackConnections(target.host, target.port);
      const batch = Buffer.concat(
        Array.from({ length: requests }, (_, seq) => target.request(seq)),
      );
      let round = 0;
      const next = () => {
        if (round >= rounds) return;
        round++;
        attack.connect(
          (socket) => attack.write(socket, batch, () => attack.drop(socket, 'reset')),
          () => setImmediate(next),
        );
      };
      for (let index = 0; index < connections; index++) next();
      return { figures: () => attack.figures(), stop: () => attack.stop() };
    },
  };
}
