import { connect } from 'node:net';

/**
 * Echoes each request only once a gate opens, so a case can hold requests in flight for as long
 * as it needs without a timer. `options.gate` is the `{ host, port }` of a gate the case runs (a
 * loopback listener): each call connects to it, which counts the request as arrived, and replies
 * when the gate ends that connection. A socket reaches the handler in any thread or process,
 * which shared memory would not.
 */
export interface GateAddress {
  readonly host: string;
  readonly port: number;
}

/** A closed gate lets requests through after this long anyway, so nothing waits forever. */
export const GATE_LIMIT_MS = 20_000;

export default function gated(
  request: Buffer,
  context: { options: Readonly<Record<string, unknown>> },
): Promise<Buffer> {
  const { host, port } = context.options.gate as GateAddress;
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const pass = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(request);
    };
    const timer = setTimeout(pass, GATE_LIMIT_MS);
    // Opened (the gate ends the connection), or gone (the case is over): either way, reply.
    socket.on('end', pass).on('close', pass).on('error', pass).resume();
  });
}
