import type { Codec, StrategyCapabilities } from '@switchyard/protocol';

/**
 * A hostile client. Each one is small and bounded: it opens at most a fixed number of
 * connections, sends at most a fixed number of bytes, and stops (every socket destroyed) the
 * moment its phase ends. Any object of this shape is an attack; the built-in ones are made by
 * the factories in `attacks/`, which take their bounds as options.
 */
export interface Attack {
  readonly name: string;
  /** One line for tables and `--help`. */
  readonly description: string;
  /**
   * It needs frames with boundaries of their own: one left unfinished (a partial line, a length
   * prefix without its payload) or one over the limit. A codec that declares `frameIsChunk`
   * (`raw`) has neither: every read is a whole frame.
   */
  readonly needsFrameBoundaries?: boolean;
  /**
   * Its connections stay open, owed or owing, until the server ends them. A server that serves
   * one connection at a time serves nobody else meanwhile, by design: only its own deadlines
   * (frame, handler, idle) end that, so good clients would measure those deadlines, not the
   * server's resistance.
   */
  readonly holdsConnection?: boolean;
  /** Starts attacking `target`; the run is stopped when the phase ends. */
  start(target: AttackTarget): AttackRun;
}

/** What an attack is aimed at. */
export interface AttackTarget {
  readonly host: string;
  readonly port: number;
  /** The codec the server speaks: attacks build their frames with its own encoder. */
  readonly codec: Codec;
  /** The server's frame limit: oversized frames exceed it, partial ones stay under it. */
  readonly maxFrameBytes: number;
  /** The `seq`th small, valid request of the service, as wire bytes. */
  request(seq: number): Buffer;
}

/** An attack under way. */
export interface AttackRun {
  /** What it has done so far. */
  figures(): AttackFigures;
  /** Destroys every connection it holds and says what it did; it sends nothing more. */
  stop(): AttackFigures;
}

/** What an attack did. */
export interface AttackFigures {
  /** Connections it opened (or tried to). */
  readonly connections: number;
  /** Bytes that reached the kernel (writes that completed). */
  readonly bytesSent: number;
  /** Connections the server closed or reset before the attack was done with them. */
  readonly endedByServer: number;
  /** Connections that never connected (refused, reset during the handshake). */
  readonly failedToConnect: number;
}

/** What the server declares, as far as the choice of attacks goes. */
export interface AttackedServer {
  readonly codec: Codec;
  readonly connections: StrategyCapabilities['connections'];
}

/** An attack planned against a server: run, or skipped with the reason. */
export interface PlannedAttack {
  readonly attack: Attack;
  readonly skip?: string;
}

/**
 * Which attacks run against a server, from what the attacks and the server declare about
 * themselves (never from their names).
 */
export function planAttacks(attacks: readonly Attack[], server: AttackedServer): PlannedAttack[] {
  return attacks.map((attack) => {
    if (attack.needsFrameBoundaries && server.codec.frameIsChunk) {
      return {
        attack,
        skip: `${server.codec.name} declares frameIsChunk: every read is a whole frame, none partial or over a limit`,
      };
    }
    if (attack.holdsConnection && server.connections === 'one-at-a-time') {
      return {
        attack,
        skip: 'holds its connections until the server ends them: a server that serves one connection at a time serves nobody else meanwhile, by design',
      };
    }
    return { attack };
  });
}
