import { connect, type Socket } from 'node:net';
import { ReplyVerifier } from '@switchyard/conformance/verifier';
import { type Codec, type CodecReference, loadCodec } from '@switchyard/protocol';

/** The messages each connection sends unless others are given. */
export const DEFAULT_MESSAGES: readonly string[] = Object.freeze([
  'Message 1 from client.',
  'Message 2 from client.',
]);

export interface ClientOptions {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly messages?: readonly string[];
  /** How each message is framed on the wire. Default `raw`. */
  /** A built-in name, a codec module, or a codec. Default `raw`. */
  readonly codec?: CodecReference;
  /** Give up on a connection whose bytes have not all come back by then. Default 10 s. */
  readonly timeoutMs?: number;
  /** Receives one line per event (start, send, receive, close). */
  readonly log?: (line: string) => void;
}

/** What one connection sent and got back. */
export interface ConnectionResult {
  readonly connid: number;
  /** Bytes sent (printed as `msg_total`). */
  readonly msgTotal: number;
  /** Bytes received (printed as `recv_total`). */
  readonly recvTotal: number;
  /** True when exactly the bytes sent came back. */
  readonly ok: boolean;
  /** Why not, when not. */
  readonly problem?: string;
}

/** Shows bytes as a quoted string, escaping what is not printable (length prefixes). */
function show(bytes: Buffer): string {
  return JSON.stringify(bytes.toString('utf8'));
}

/**
 * The classic multi-connection echo client: opens `connections` connections at once; each sends
 * its messages, reads until as many bytes came back as it sent (`recv_total == msg_total`), then
 * closes. A reply that differs from what was sent, an early close or a timeout fails that
 * connection only.
 */
export async function runClient(options: ClientOptions): Promise<ConnectionResult[]> {
  const ids = Array.from({ length: options.connections }, (_, index) => index + 1);
  const codec = await loadCodec(options.codec ?? 'raw');
  return Promise.all(ids.map((connid) => runConnection(connid, codec, options)));
}

function runConnection(
  connid: number,
  codec: Codec,
  options: ClientOptions,
): Promise<ConnectionResult> {
  const { host, port, log = () => {}, timeoutMs = 10_000 } = options;
  const frames = (options.messages ?? DEFAULT_MESSAGES).map((message) =>
    codec.encode(Buffer.from(message)),
  );
  // Each message's echo is expected back in order; an empty raw message puts nothing on the wire.
  const verifier = new ReplyVerifier();
  for (const frame of frames) if (frame.length > 0) verifier.expect(frame);
  const msgTotal = frames.reduce((total, frame) => total + frame.length, 0);
  let recvTotal = 0;

  return new Promise((resolve) => {
    let settled = false;
    const finish = (socket: Socket, problem?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      log(`closing connection ${connid}${problem ? `: ${problem}` : ''}`);
      socket.destroy();
      resolve({
        connid,
        msgTotal,
        recvTotal,
        ok: problem === undefined,
        ...(problem && { problem }),
      });
    };

    log(`starting connection ${connid} to ${host}:${port}`);
    const socket = connect({ host, port, noDelay: true });
    const timer = setTimeout(
      () =>
        finish(
          socket,
          `timed out after ${timeoutMs} ms with ${recvTotal} of ${msgTotal} bytes back`,
        ),
      timeoutMs,
    );
    socket.on('connect', () => {
      for (const frame of frames) {
        log(`sending ${show(frame)} to connection ${connid}`);
        socket.write(frame);
      }
      // Nothing was sent: there is nothing to wait for.
      if (msgTotal === 0) finish(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      log(`received ${show(chunk)} from connection ${connid}`);
      recvTotal += chunk.length;
      const mismatch = verifier.consume(chunk);
      if (mismatch?.kind === 'unexpected') {
        finish(socket, `got ${recvTotal} bytes back, sent ${msgTotal}`);
      } else if (mismatch) finish(socket, `mismatch: ${mismatch.message}`);
      else if (verifier.pending === 0) finish(socket);
    });
    socket.on('end', () => finish(socket, `server closed after ${recvTotal} of ${msgTotal} bytes`));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(socket, error.code ?? error.message),
    );
  });
}
