import type { Attack } from '../attack.js';
import { AttackConnections } from '../connections.js';

export interface FloodOptions {
  /** Connections being opened at once. Default 64. */
  readonly concurrency?: number;
  /** Connections in all. Default 2000. */
  readonly connections?: number;
}

/** Connections opened as fast as the server accepts them and dropped as soon as they are up. */
export function flood(options: FloodOptions = {}): Attack {
  const { concurrency = 64, connections = 2000 } = options;
  return {
    name: 'flood',
    description: `${connections} connections, ${concurrency} at a time, opened and dropped at once`,
    start(target) {
      const attack = new AttackConnections(target.host, target.port);
      let opened = 0;
      const next = () => {
        if (opened >= connections) return;
        opened++;
        attack.connect(
          (socket) => attack.drop(socket, 'destroy'),
          () => setImmediate(next),
        );
      };
      for (let index = 0; index < concurrency; index++) next();
      return { figures: () => attack.figures(), stop: () => attack.stop() };
    },
  };
}
