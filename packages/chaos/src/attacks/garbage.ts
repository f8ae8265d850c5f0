import type { Attack } from '../attack.js';
import { AttackConnections } from '../connections.js';
import { garbage as garbageBytes } from '../frames.js';

export interface GarbageOptions {
  /** Connections at once. Default 4. */
  readonly connections?: number;
  /** Connections in all, one after another on each. Default 100. */
  readonly rounds?: number;
}

/**
 * Connections that send bytes that are no frame (the codec's `malformedExamples`, or random
 * bytes) and then end their side, one after another.
 */
export function garbage(options: GarbageOptions = {}): Attack {
  const { connections = 4, rounds = 100 } = options;
  return {
    name: 'garbage',
    description: `${rounds} connections, ${connections} at a time, send malformed or random bytes and end`,
    start(target) {
      const attack = new AttackConnections(target.host, target.port);
      let round = 0;
      const next = () => {
        if (round >= rounds) return;
        const bytes = garbageBytes(target.codec, round++);
        attack.connect(
          (socket) => attack.write(socket, bytes, () => socket.end()),
          () => setImmediate(next),
        );
      };
      for (let index = 0; index < connections; index++) next();
      return { figures: () => attack.figures(), stop: () => attack.stop() };
    },
  };
}
