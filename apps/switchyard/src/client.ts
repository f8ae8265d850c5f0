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
  /**
   * How each message is framed on the wire: a built-in name, a module specifier (paths against
   * the current directory) whose default export is a codec, or a codec. Default `raw`.
   */
  readonly codec?: CodecReference;
  /** Give up on a connection whose bytes have not all come back by then. Default 10 s. */
  readonly timeoutMs?: number;
  /** Receives one line per event (start, send, receive, close). */
  readonly log?: (line: string) => void;
}

/** What one connection sent and got back. */
export interface ConnectionResult {
  readonly connid: number;
  /** Bytes sent, framing included (printed as `msg_total`). */
  readonly msgTotal: number;
  /** Bytes received, framing included (printed as `recv_total`). */
  readonly recvTotal: number;
  /** True when exactly the bytes sent came back. */
  readonly ok: boolean;
  /** Why not, when not. */
  readonly problem?: string;
}

/** Shows a message or reply as a quoted string, escaping what is not printable. */
function show(bytes: Buffer): string {
  return JSON.stringify(bytes.toString('utf8'));
}

/** A message as typed and as it goes on the wire. */
interface Outgoing {
  readonly message: Buffer;
  readonly wire: Buffer;
}

/**
 * The classic multi-connection echo client: opens `connections` connections at once; each sends
 * its messages, reads until as many bytes came back as it sent (`recv_total == msg_total`), then
 * closes. Replies are checked byte for byte on the wire and logged as the codec decodes them (a
 * `lines` message `who` goes out as `who\n` and its reply is shown as `who`). A reply that
 * differs from what was sent, an early close or a timeout fails that connection only. Throws
 * before connecting when the codec cannot be loaded or cannot carry a message (a `\n` in a
 * `lines` message: `SWITCHYARD_ERR_MALFORMED_FRAME`).
 */
export async function runClient(options: ClientOptions): Promise<ConnectionResult[]> {
  const codec = await loadCodec(options.codec ?? 'raw');
  const outgoing = (options.messages ?? DEFAULT_MESSAGES).map((text) => {
    const message = Buffer.from(text);
    // A user's codec may hand back any Uint8Array; the socket and the verifier take it as is.
    const encoded: Uint8Array = codec.encode(message);
    const wire = Buffer.isBuffer(encoded)
      ? encoded
      : Buffer.from(encoded.buffer, encoded.byteOffset, encoded.length);
    return { message, wire };
  });
  const ids = Array.from({ length: options.connections }, (_, index) => index + 1);
  return Promise.all(ids.map((connid) => runConnection(connid, options, codec, outgoing)));
}

function runConnection(
  connid: number,
  options: ClientOptions,
  codec: Codec,
  outgoing: readonly Outgoing[],
): Promise<ConnectionResult> {
  const { host, port, log = () => {}, timeoutMs = 10_000 } = options;
  // Each message's echo is expected back in order; an empty raw message puts nothing on the wire.
  const verifier = new ReplyVerifier();
  for (const { wire } of outgoing) if (wire.length > 0) verifier.expect(wire);
  const msgTotal = outgoing.reduce((total, { wire }) => total + wire.length, 0);
  // Only to show replies as frames: the check is on the wire bytes, whatever the codec.
  const decoder = codec.createDecoder();
  let undecodable: string | undefined;
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
      for (const { message, wire } of outgoing) {
        log(`sending ${show(message)} to connection ${connid}`);
        socket.write(wire);
      }
      // Nothing was sent: there is nothing to wait for.
      if (msgTotal === 0) finish(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      if (undecodable === undefined) {
        try {
          for (const frame of decoder.push(chunk)) {
            log(`received ${show(frame)} from connection ${connid}`);
          }
        } catch (error) {
          undecodable = `reply is not ${codec.name}: ${error instanceof Error ? error.message : String(error)}`;
          log(`received ${show(chunk)} from connection ${connid} (${undecodable})`);
        }
      } else log(`received ${show(chunk)} from connection ${connid}`);
      recvTotal += chunk.length;
      const mismatch = verifier.consume(chunk);
      if (mismatch?.kind === 'unexpected') {
        finish(socket, `got ${recvTotal} bytes back, sent ${msgTotal}`);
      } else if (mismatch) finish(socket, `mismatch: ${mismatch.message}`);
      else if (undecodable !== undefined) finish(socket, undecodable);
      else if (verifier.pending === 0) finish(socket);
    });
    socket.on('end', () => finish(socket, `server closed after ${recvTotal} of ${msgTotal} bytes`));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(socket, error.code ?? error.message),
    );
  });
}
