import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connectTarget, type RunningServer } from '@switchyard/protocol';
import { onTestFinished } from 'vitest';

/**
 * A client of a `lines` server: sends commands, collects reply lines. Destroyed when the test
 * ends; a wait for replies fails as soon as the server closes the connection.
 */
export class LineClient {
  private buffered = '';
  private readonly received: string[] = [];
  private closed = false;
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const lines = (this.buffered + text).split('\n');
      this.buffered = lines.pop()!;
      this.received.push(...lines);
      this.wake?.();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static async connect(server: RunningServer): Promise<LineClient> {
    const socket = connect(connectTarget(server.address));
    onTestFinished(() => {
      socket.destroy();
    });
    await once(socket, 'connect');
    return new LineClient(socket);
  }

  /** Sends every command, each as one line, in one write. */
  send(...commands: string[]): void {
    this.socket.write(commands.map((command) => `${command}\n`).join(''));
  }

  /** The next `count` reply lines, once they have all arrived. */
  async replies(count: number): Promise<string[]> {
    while (this.received.length < count) {
      if (this.closed) {
        throw new Error(
          `connection closed after ${this.received.length} of ${count} replies: ${JSON.stringify(this.received.slice(-3))}`,
        );
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    return this.received.splice(0, count);
  }

  /** Sends `commands` and waits for their replies. */
  async run(...commands: string[]): Promise<string[]> {
    this.send(...commands);
    return this.replies(commands.length);
  }

  /** Ends this side, so a one-at-a-time server moves on to the next connection. */
  end(): void {
    this.socket.end();
  }
}
