import { writeFile } from 'node:fs/promises';
import {
  type ExternalTarget,
  formatTable,
  listCases,
  type Target,
  toJson,
  toJUnitXml,
} from '@switchyard/conformance';
import {
  InvalidOptionError,
  loadCodec,
  loadWorkload,
  type ProxyProtocolVersion,
  resolveCodecSpecifier,
  resolveWorkloadSpecifier,
} from '@switchyard/protocol';
import { Command, Option } from 'commander';
import { Interrupts } from '../interrupt.js';
import { contenderTarget, runMatrix, summarizeMatrix, summaryLine } from '../matrix.js';
import {
  codecOption,
  formatHostPort,
  integerOption,
  parseTarget,
  proxyProtocolOption,
} from '../options.js';
import { stderrProgress } from '../progress.js';
import { contenderNames, selectContenders } from '../registry.js';
import { type ConformanceTlsFlags, conformanceTlsOptions, targetTls } from '../tls-flags.js';

interface ConformanceFlags extends ConformanceTlsFlags {
  unix?: boolean;
  strategy?: string;
  target?: string;
  /** A built-in codec name or a module specifier, as typed. */
  codec?: string;
  /** A built-in workload name or a module specifier, as typed. */
  workload?: string;
  concurrent?: boolean;
  oneAtATime?: boolean;
  parallelHandlers?: boolean;
  maxFrameBytes?: number;
  proxyProtocol?: ProxyProtocolVersion;
  case?: string;
  list?: boolean;
  json?: string;
  junit?: string;
}

/** `switchyard conformance`: the suite as a matrix of case x strategy (or one external server). */
export function conformanceCommand(): Command {
  const tlsFlags = conformanceTlsOptions();
  return new Command('conformance')
    .description('run the conformance suite: a matrix of case x strategy, or one running server')
    .option(
      '-s, --strategy <names>',
      `"all" or a comma-separated list of ${contenderNames().join(', ')} (default: all)`,
    )
    .option(
      '--target <host:port>',
      'test a server that is already running instead (unix:/path for a Unix domain socket)',
    )
    .addOption(
      codecOption(
        'the codec the --target server speaks (default raw), or the codec every strategy runs with (default: the codecs each case names)',
      ),
    )
    .option(
      '--workload <workload>',
      'your service: a module whose default export is a workload (codec, handler, request, check); strategies run its handler and codec, every reply is checked by it',
    )
    .addOption(
      new Option(
        '--concurrent',
        'with --target: it serves connections concurrently (default)',
      ).conflicts('oneAtATime'),
    )
    .option('--one-at-a-time', 'with --target: it serves one connection at a time')
    .option('--parallel-handlers', 'with --target: it runs handler calls in parallel')
    .option(
      '--max-frame-bytes <n>',
      'with --target: its frame limit (default 1 MiB, the Switchyard default)',
      integerOption('--max-frame-bytes', { min: 1 }),
    )
    .addOption(
      proxyProtocolOption(
        'with --target: it takes PROXY protocol headers of these versions (a backend behind a balancer), so every client sends one naming itself and the proxy.* cases run; with strategies: every server takes them and every client sends one (the proxy.* cases run on strategies either way)',
      ),
    )
    .addOption(tlsFlags[0]!)
    .addOption(tlsFlags[1]!)
    .addOption(tlsFlags[2]!)
    .option(
      '--unix',
      'with strategies: every server listens on a Unix domain socket (a fresh path each) instead of loopback TCP',
    )
    .option(
      '--case <pattern>',
      'case ids to run: comma-separated, * wildcards, or a group (echo); a pattern that matches no case is an error',
    )
    .option('--list', 'list the cases and exit')
    .option('--json <file>', 'also write the reports as JSON')
    .option('--junit <file>', 'also write the reports as JUnit XML (for CI)')
    .addHelpText(
      'after',
      '\nExits 1 when any MUST case fails, 2 when the command line is wrong.\n' +
        'Examples:\n' +
        '  switchyard conformance\n' +
        '  switchyard conformance --strategy selector --case echo\n' +
        '  switchyard conformance --target 127.0.0.1:7000 --codec lines --concurrent\n' +
        '  switchyard conformance --target 127.0.0.1:7000 --proxy-protocol v2   # a backend behind a balancer\n' +
        '  switchyard conformance --target 127.0.0.1:7443 --tls --tls-ca ca.pem\n' +
        '  switchyard conformance --strategy all --tls\n' +
        '  switchyard conformance --strategy all --unix\n' +
        '  switchyard conformance --strategy selector --codec ./my-codec.mjs --case framing\n' +
        '  switchyard conformance --strategy all --workload ./my-workload.mjs\n',
    )
    .action((flags: ConformanceFlags) => conformance(flags));
}

async function conformance(flags: ConformanceFlags): Promise<void> {
  // The strategies run in this process: a signal ends them with it, within the grace.
  const interrupts = new Interrupts();
  try {
    await conformanceWith(flags);
  } finally {
    interrupts.dispose();
  }
}

async function conformanceWith(flags: ConformanceFlags): Promise<void> {
  // Checked before anything starts: a --case that matches nothing is a typo, not an empty pass.
  const cases = listCases(flags.case, '--case');
  if (flags.list) {
    for (const info of cases) {
      console.log(`${info.id.padEnd(40)} ${info.tier.padEnd(6)} ${info.description}`);
    }
    return;
  }
  // Absolute, so the strategies' worker threads load the very module this process checks here.
  const codec = flags.codec === undefined ? undefined : resolveCodecSpecifier(flags.codec);
  // Loaded once up front so a bad module is one clear error, not a failure in every case.
  if (codec !== undefined) await loadCodec(codec);
  const workload =
    flags.workload === undefined ? undefined : resolveWorkloadSpecifier(flags.workload);
  if (workload !== undefined) await loadWorkload(workload);
  const targets = chooseTargets(flags, codec).map((target) =>
    workload === undefined ? target : { ...target, workload },
  );
  const reports = await runMatrix(targets, {
    ...(flags.case && { filter: flags.case }),
    progress: stderrProgress(),
  });
  const summary = summarizeMatrix(reports);
  console.log(formatTable(reports));
  console.log(summaryLine(summary));
  if (flags.json) await writeFile(flags.json, toJson(reports));
  if (flags.junit) await writeFile(flags.junit, toJUnitXml(reports));
  if (summary.mustFailed > 0) process.exitCode = 1;
}

function chooseTargets(flags: ConformanceFlags, codec: string | undefined): Target[] {
  if (flags.target === undefined) {
    if (flags.tlsCa !== undefined || flags.tlsInsecure)
      throw new InvalidOptionError('--tls-ca', 'applies to --target only');
    return selectContenders(flags.strategy ?? 'all').map((contender) => {
      const target = contenderTarget(contender, codec, flags.proxyProtocol);
      const over = [flags.tls && 'over TLS', flags.unix && 'on a Unix socket'].filter(Boolean);
      return {
        ...target,
        ...(flags.tls && { tls: true }),
        ...(flags.unix && { unixSocket: true }),
        ...(over.length > 0 && { name: `${target.name} ${over.join(' ')}` }),
      };
    });
  }
  if (flags.unix)
    throw new InvalidOptionError('--unix', 'applies to strategies; give --target unix:PATH');
  if (flags.strategy !== undefined) {
    throw new InvalidOptionError(
      '--target',
      'test either strategies (--strategy) or a running server, not both',
    );
  }
  const where = parseTarget(flags.target);
  const target: ExternalTarget = {
    kind: 'external',
    ...where,
    ...((codec !== undefined || flags.workload === undefined) && { codec: codec ?? 'raw' }),
    capabilities: {
      connections: flags.oneAtATime ? 'one-at-a-time' : 'concurrent',
      parallelHandlers: flags.parallelHandlers ?? false,
    },
    name: 'path' in where ? `unix:${where.path}` : formatHostPort(where),
    ...(flags.maxFrameBytes !== undefined && { maxFrameBytes: flags.maxFrameBytes }),
    ...(flags.proxyProtocol !== undefined && { proxyProtocol: flags.proxyProtocol }),
  };
  const tls = targetTls(flags);
  return [tls === undefined ? target : { ...target, tls }];
}
