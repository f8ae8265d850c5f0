import { InvalidOptionError } from '@switchyard/protocol';
import { Command } from 'commander';
import { DEFAULT_MESSAGES, runClient } from '../client.js';
import { codecOption, integerOption, parseInteger } from '../options.js';

interface ClientFlags {
  message?: string[];
  codec: string;
  timeoutMs: number;
}

/** `switchyard client`: the classic multi-connection echo client, checking every byte comes back. */
export function clientCommand(): Command {
  return new Command('client')
    .description('open NUM_CONNECTIONS connections, send messages on each, check they come back')
    .argument('<host>', 'server address')
    .argument('<port>', 'server port')
    .argument('<num_connections>', 'connections to open at once')
    .option(
      '-m, --message <text...>',
      `messages each connection sends (default: "${DEFAULT_MESSAGES.join('" "')}")`,
    )
    .addOption(codecOption('framing of each message', 'raw'))
    .option(
      '--timeout-ms <ms>',
      'fail a connection whose bytes have not all come back by then',
      integerOption('--timeout-ms', { min: 1 }),
      10_000,
    )
    .addHelpText('after', '\nExits 1 if any connection got back something other than what it sent.')
    .action(async (host: string, portText: string, countText: string, flags: ClientFlags) => {
      const port = parseInteger(portText, 'PORT', { min: 1, max: 65535 });
      const connections = parseInteger(countText, 'NUM_CONNECTIONS', { min: 1 });
      if (flags.message?.length === 0)
        throw new InvalidOptionError('--message', 'give at least one');
      const results = await runClient({
        host,
        port,
        connections,
        codec: flags.codec,
        timeoutMs: flags.timeoutMs,
        ...(flags.message && { messages: flags.message }),
        log: (line) => console.log(line),
      });
      const failed = results.filter((result) => !result.ok);
      for (const result of results) {
        const verdict = result.ok ? 'ok' : `FAILED: ${result.problem}`;
        console.log(
          `connection ${result.connid}: msg_total=${result.msgTotal} recv_total=${result.recvTotal} ${verdict}`,
        );
      }
      console.log(
        `${results.length - failed.length} of ${results.length} connections got back exactly what they sent`,
      );
      if (failed.length > 0) process.exitCode = 1;
    });
}
