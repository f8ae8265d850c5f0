import {
  attackNames,
  type ChaosOptions,
  type ChaosReport,
  chaos,
  renderChaosReport,
  selectAttacks,
} from '@switchyard/chaos';
import { InvalidOptionError } from '@switchyard/protocol';
import { Command, Option } from 'commander';
import { strategyContender } from '../bench-contenders.js';
import { Interrupts } from '../interrupt.js';
import { codecOption, formatHostPort, integerOption, parseHostPort } from '../options.js';
import { jsonText, writeOutput } from '../output.js';
import { contenderNames, selectContenders } from '../registry.js';

interface ChaosFlags {
  strategy?: string;
  target?: string;
  workload?: string;
  codec?: string;
  attacks?: string;
  durationMs?: number;
  connections?: number;
  oneAtATime?: boolean;
  maxFrameBytes?: number;
  json?: string;
}

/** `switchyard chaos`: hostile clients against strategies or a running server, and invariants. */
export function chaosCommand(): Command {
  return new Command('chaos')
    .description(
      'attack servers as an operator would before trusting them: good clients verify every reply while hostile ones misbehave; exits 1 when an invariant breaks',
    )
    .option(
      '-s, --strategy <names>',
      `"all" or a comma-separated list of ${contenderNames().join(', ')} (default: all)`,
    )
    .option('--target <host:port>', 'attack a server already running on loopback instead')
    .option(
      '-w, --workload <workload>',
      "the good clients' workload: a built-in name or a module whose default export is a workload (default: echo, over length-prefixed)",
    )
    .addOption(codecOption("the codec (default: the workload's own)"))
    .option(
      '--attacks <list>',
      `all (default) or a comma-separated list of ${attackNames.join(', ')}`,
    )
    .option(
      '--duration-ms <ms>',
      'length of each phase: baseline, each attack, settle (default 2000)',
      integerOption('--duration-ms', { min: 100 }),
    )
    .option(
      '--connections <n>',
      'good connections (default 4; 2 loops for a one-at-a-time server)',
      integerOption('--connections', { min: 1 }),
    )
    .addOption(
      new Option(
        '--one-at-a-time',
        'with --target: it serves one connection at a time (attacks that hold a connection are skipped)',
      ),
    )
    .option(
      '--max-frame-bytes <n>',
      "with --target: its frame limit, which oversized frames exceed (default 1 MiB, the strategies' default)",
      integerOption('--max-frame-bytes', { min: 1 }),
    )
    .option(
      '--json <file>',
      'also write the reports as JSON ("-": stdout, the tables then go to stderr)',
    )
    .addHelpText(
      'after',
      '\nPhases: a baseline of good clients alone, each attack in turn with them, then a settle.\n' +
        'Invariants: no good byte lost, corrupted or out of order; alive and serving at the end;\n' +
        'RSS peak within 512 MiB and open fds back within 16 of the start, RSS at the end within\n' +
        '64 MiB or a warning (started servers only); good\n' +
        "clients served in each attack's second half at 1% of the baseline's rate or more.\n" +
        'Traffic goes to loopback addresses only.\n' +
        'Examples:\n' +
        '  switchyard chaos --strategy selector\n' +
        '  switchyard chaos --strategy all --attacks dribble,partial,never-read --json chaos.json\n' +
        '  switchyard chaos --target 127.0.0.1:7000 --codec lines --one-at-a-time\n',
    )
    .action((flags: ChaosFlags) => chaosAction(flags));
}

async function chaosAction(flags: ChaosFlags): Promise<void> {
  const runs = runsFrom(flags);
  const interrupts = new Interrupts();
  const print = flags.json === '-' ? console.error : console.log;
  const reports: ChaosReport[] = [];
  try {
    for (const { label, ...options } of runs) {
      const report = await interrupts.track(
        chaos({
          ...options,
          signal: interrupts.signal,
          onPhase: ({ name, index, count }) =>
            console.error(`chaos ${label}: ${name} (${index + 1}/${count})`),
        }),
      );
      reports.push(report);
      print(`${renderChaosReport(report)}\n`);
    }
  } finally {
    interrupts.dispose();
  }
  if (flags.json) {
    const written = await writeOutput(flags.json, jsonText(reports));
    if (written) console.error(`wrote ${written}`);
  }
  if (reports.some((report) => !report.passed)) process.exitCode = 1;
}

/** One chaos run per server the flags name, each with the options common to all. */
function runsFrom(flags: ChaosFlags): (ChaosOptions & { label: string })[] {
  const common: ChaosOptions = {
    ...(flags.workload !== undefined && { workload: flags.workload }),
    ...(flags.codec !== undefined && { codec: flags.codec }),
    ...(flags.attacks !== undefined && { attacks: selectAttacks(flags.attacks) }),
    ...(flags.durationMs !== undefined && { durationMs: flags.durationMs }),
    ...(flags.connections !== undefined && { connections: flags.connections }),
  };
  if (flags.target !== undefined) {
    if (flags.strategy !== undefined) {
      throw new InvalidOptionError(
        '--target',
        'attack either strategies (--strategy) or a running server, not both',
      );
    }
    const { host, port } = parseHostPort(flags.target);
    const label = formatHostPort({ host, port });
    return [
      {
        ...common,
        label,
        target: { host, port, name: label },
        capabilities: { connections: flags.oneAtATime ? 'one-at-a-time' : 'concurrent' },
        ...(flags.maxFrameBytes !== undefined && { maxFrameBytes: flags.maxFrameBytes }),
      },
    ];
  }
  for (const [flag, given] of [
    ['--one-at-a-time', flags.oneAtATime],
    ['--max-frame-bytes', flags.maxFrameBytes],
  ] as const) {
    if (given !== undefined) {
      throw new InvalidOptionError(flag, 'applies to --target: a strategy declares it itself');
    }
  }
  // What each strategy declares about itself decides the good clients and the attacks.
  return selectContenders(flags.strategy ?? 'all').map((contender) => ({
    ...common,
    label: contender.name,
    server: strategyContender(contender),
    capabilities: contender.strategy.capabilities,
  }));
}
