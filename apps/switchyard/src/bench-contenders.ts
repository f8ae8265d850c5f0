import {
  type BenchContender,
  baselineContender,
  type DialTls,
  parseExternal,
} from '@switchyard/bench';
import type { Strategy } from '@switchyard/protocol';
import { type Contender, selectContenders, strategies } from './registry.js';
import { selfCommand } from './self.js';

/** Which servers a bench compares, as the CLI's flags give them. */
export interface ContenderSelection {
  /** `all`, or a comma-separated list of strategy / contender names, as `serve --strategy`. */
  readonly strategies: string;
  /** The bare `net` echo server (measured where the workload is echo over raw). */
  readonly baseline: boolean;
  /** `NAME=COMMAND` with `{port}` where the port goes (see `parseExternal`). */
  readonly externals: readonly string[];
  /** Each strategy a second time, serving TLS with this certificate: `selector+tls`. */
  readonly tls?: BenchTls;
  /** The strategies and the baseline listen on Unix domain sockets, not on loopback TCP. */
  readonly unixSocket?: boolean;
}

/** How a strategy contender is reached: over TLS, on a Unix socket. */
export interface ContenderTransport {
  readonly tls?: BenchTls;
  readonly unixSocket?: boolean;
}

/** The certificate TLS contenders serve, and how the bench's clients check it. */
export interface BenchTls {
  /** PEM files, handed to `serve --tls-key --tls-cert`. */
  readonly keyFile: string;
  readonly certFile: string;
  readonly client: DialTls;
}

/** What a TLS contender's name ends with: `selector+tls`. */
export const TLS_SUFFIX = '+tls';

/**
 * A registry contender as a bench contender: `switchyard serve` in a process of its own, told
 * each workload's codec, handler and handler options; with `tls`, serving TLS, named
 * `NAME+tls`, its clients speaking TLS to it; with `unixSocket`, on the path the bench gives.
 */
export function strategyContender(
  contender: Contender,
  { tls, unixSocket = false }: ContenderTransport = {},
): BenchContender {
  return {
    name: tls ? `${contender.name}${TLS_SUFFIX}` : contender.name,
    kind: 'strategy',
    readiness: 'stdout',
    ...(tls && { tls: tls.client }),
    ...(unixSocket && { unixSocket }),
    command(service, host, _port, path) {
      const self = selfCommand();
      const args = [
        ...self.args,
        'serve',
        ...contender.serveArgs,
        ...(path === undefined ? ['--host', host, '--port', '0'] : ['--path', path]),
        '--codec',
        service.codec,
        '--handler',
        service.handler,
      ];
      if (Object.keys(service.handlerOptions).length > 0) {
        args.push('--handler-options', JSON.stringify(service.handlerOptions));
      }
      if (tls) args.push('--tls-key', tls.keyFile, '--tls-cert', tls.certFile);
      return { command: self.command, args };
    },
  };
}

/**
 * Every registry contender in `selection` (as `serve --strategy` takes it) as a bench contender;
 * with `tls`, each followed by itself over TLS.
 */
export function strategyContenders(
  selection: string,
  list: readonly Strategy[] = strategies,
  { tls, unixSocket }: ContenderTransport = {},
): BenchContender[] {
  return selectContenders(selection, list).flatMap((contender) => [
    strategyContender(contender, { unixSocket }),
    ...(tls ? [strategyContender(contender, { tls, unixSocket })] : []),
  ]);
}

/** The baseline (when asked for), the selected strategies, then the external commands. */
export function benchContenders(
  selection: ContenderSelection,
  list: readonly Strategy[] = strategies,
): BenchContender[] {
  const { tls, unixSocket = false } = selection;
  return [
    ...(selection.baseline ? [baselineContender({ unixSocket })] : []),
    ...strategyContenders(selection.strategies, list, { tls, unixSocket }),
    ...selection.externals.map((spec) => parseExternal(spec)),
  ];
}
