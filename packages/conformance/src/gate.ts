import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import type { GateAddress } from './handlers/gated.js';

/**
 * The other end of the `gated` test handler: a loopback listener that counts each handler call
 * that reached it and holds it until {@link open}.
 */
export class Gate {
  arrived = 0;
  private opened = false;
  private readonly held = new Set<Socket>();
  private readonly server = createServer((socket) => {
    this.arrived++;
    socket.on('error', () => {});
    if (this.opened) socket.end();
    else {
      this.held.add(socket);
      socket.once('close', () => this.held.delete(socket));
    }
  });

  /** A gate listening on 127.0.0.1, shut. */
  static async start(): Promise<Gate> {
    const gate = new Gate();
    gate.server.listen({ host: '127.0.0.1', port: 0 });
    await once(gate.server, 'listening');
    return gate;
  }

  /** What the handler is given as `options.gate`. */
  get address(): GateAddress {
    const { port } = this.server.address() as { port: number };
    return { host: '127.0.0.1', port };
  }

  /** Lets every held request and every later one through. */
  open(): void {
    this.opened = true;
    for (const socket of this.held) socket.end();
  }

  /** Lets everything through and stops listening: a later call replies at once (it cannot connect). */
  async close(): Promise<void> {
    this.opened = true;
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const socket of this.held) socket.destroy();
    await closed;
  }
}
