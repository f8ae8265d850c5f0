import type { Attack } from '../attack.js';
import { AttackConnections } from '../connections.js';
import { oversizedFrame } from '../frames.js';

export interface OversizedOptions {
  /** Connections, each sending one frame a byte over the server's limit. Default 4. */
  readonly connections?: number;
}

/** Connections that each send a frame one byte over the server's frame limit. */
export function oversized(options: OversizedOptions = {}): Attack {
  const { connections = 4 } = options;
  return {
    name: 'oversized',
    description: `${connections} connections each send a frame one byte over the server's limit`,
    needsFrameBoundaries: true,
    start(target) {
      const attack = new AttackConnections(target.host, target.port);
      const frame = oversizedFrame(target.codec, target.maxFrameBytes);
      for (let index = 0; index < connections; index++) {
        attack.connect((socket) => attack.stream(socket, frame));
      }
      return { figures: () => attack.figures(), stop: () => attack.stop() };
    },
  };
}
