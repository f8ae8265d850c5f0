// The clients of a drain: run on the client host, against the balancer, while a backend is
// stopped and started again. Two kinds, both speaking `lines` to backends running whoami.mjs:
//
// - visits: a new connection every --every-ms. Each asks `switchyard:whoami` (which backend took
//   it, and the client address that backend sees), sends one line to be echoed, checks both
//   replies and closes.
// - talkers: --long-lived connections that keep talking, one line every --talk-every-ms, each
//   reply checked. A talker first asks whoami too, on every connection it opens.
//
// A backend that closes gracefully answers every request it has read and then ends its side. A
// talker's request still unanswered when that end arrives was not read, so the talker sends it
// again on a new connection (counted as `resent`): that is the contract of a graceful close, not
// a failure. Failures are what a client would notice: a new connection refused, reset, timed out
// or ended before its replies, a wrong reply, a reply never received.
//
// Stdout carries one JSON object per line: `{"event":"ready"}` once every talker has had a reply
// and a visit succeeded, `{"event":"visit",...}` per visit, and `{"event":"summary",...}` last.
// It stops when stdin ends, on SIGTERM or SIGINT, or after --max-seconds; it exits 1 if anything
// failed. Bounded: at most max-seconds / every-ms visits, and the talkers' pace.
//
//   node --import tsx deploy/netns/clients.ts --target 10.77.0.2:7000 --every-ms 20 --long-lived 8
import { randomBytes } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

const WHOAMI = 'switchyard:whoami';
/** How many failures of each kind the summary lists in full. */
const KEPT_FAILURES = 20;

interface Options {
  host: string;
  port: number;
  everyMs: number;
  longLived: number;
  talkEveryMs: number;
  maxSeconds: number;
  timeoutMs: number;
}

/** A backend's answer to `switchyard:whoami` (deploy/netns/whoami.mjs). */
interface Whoami {
  backend: string;
  remoteAddress: string;
  remotePort: number;
  /** The balancer, when the address came from a PROXY protocol header. */
  proxiedBy?: { address: string; port: number };
}

/** How one visit (one new connection) ended. */
type VisitOutcome = { kind: 'ok'; whoami: Whoami } | { kind: 'failed'; reason: string };

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string' },
      'every-ms': { type: 'string', default: '20' },
      'long-lived': { type: 'string', default: '8' },
      'talk-every-ms': { type: 'string', default: '10' },
      'max-seconds': { type: 'string', default: '60' },
      'timeout-ms': { type: 'string', default: '5000' },
    },
  });
  const target = values.target?.match(/^(.+):(\d+)$/);
  if (!target) throw new Error('--target HOST:PORT is required');
  return {
    host: target[1]!,
    port: Number(target[2]),
    everyMs: Number(values['every-ms']),
    longLived: Number(values['long-lived']),
    talkEveryMs: Number(values['talk-every-ms']),
    maxSeconds: Number(values['max-seconds']),
    timeoutMs: Number(values['timeout-ms']),
  };
}

const emit = (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`);
const token = () => randomBytes(6).toString('hex');

function parseWhoami(line: string): Whoami | undefined {
  try {
    const value = JSON.parse(line) as Partial<Whoami>;
    return typeof value.backend === 'string' && typeof value.remoteAddress === 'string'
      ? (value as Whoami)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Calls `onLine` for each complete line the socket receives. */
function readLines(socket: Socket, onLine: (line: string) => void): void {
  let pending = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n')) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      onLine(line);
    }
  });
}

/** What happened to every client, for the summary. */
class Tally {
  readonly visits = {
    attempted: 0,
    ok: 0,
    failed: 0,
    failures: [] as string[],
    byBackend: {} as Record<string, number>,
  };
  readonly talkers = {
    connections: 0,
    requests: 0,
    replies: 0,
    wrong: 0,
    lost: 0,
    resent: 0,
    closedByServer: 0,
    failures: [] as string[],
    byBackend: {} as Record<string, number>,
  };
  readonly addresses = new Set<string>();
  /** Who relayed the connections (`proxiedBy`), `none` where no PROXY header named a client. */
  readonly proxiedBy = new Set<string>();

  saw(whoami: Whoami, byBackend: Record<string, number>): void {
    this.addresses.add(whoami.remoteAddress);
    this.proxiedBy.add(whoami.proxiedBy?.address ?? 'none');
    byBackend[whoami.backend] = (byBackend[whoami.backend] ?? 0) + 1;
  }

  visitFailed(reason: string): void {
    this.visits.failed++;
    if (this.visits.failures.length < KEPT_FAILURES) this.visits.failures.push(reason);
  }

  talkerFailed(reason: string): void {
    if (this.talkers.failures.length < KEPT_FAILURES) this.talkers.failures.push(reason);
  }

  get failed(): boolean {
    const { talkers, visits } = this;
    return visits.failed + talkers.wrong + talkers.lost + talkers.failures.length > 0;
  }

  summary(seconds: number): object {
    return {
      event: 'summary',
      seconds,
      addresses: [...this.addresses],
      proxiedBy: [...this.proxiedBy],
      visits: this.visits,
      talkers: this.talkers,
    };
  }
}

/** One new connection: whoami, one echo, close. */
function visitOnce(options: Options, n: number): Promise<VisitOutcome> {
  return new Promise((resolve) => {
    const echo = `visit ${n} ${token()}`;
    const lines: string[] = [];
    let outcome: VisitOutcome | undefined;
    const settle = (value: VisitOutcome) => {
      outcome ??= value;
      socket.destroy();
    };
    const socket = createConnection({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    socket.setTimeout(options.timeoutMs, () => settle({ kind: 'failed', reason: 'timed out' }));
    socket.on('connect', () => socket.write(`${WHOAMI}\n${echo}\n`));
    readLines(socket, (line) => {
      lines.push(line);
      if (lines.length < 2) return;
      const whoami = parseWhoami(lines[0]!);
      if (!whoami) settle({ kind: 'failed', reason: `not a whoami reply: ${lines[0]}` });
      else if (lines[1] !== echo) settle({ kind: 'failed', reason: `wrong echo: ${lines[1]}` });
      else {
        outcome ??= { kind: 'ok', whoami };
        socket.end();
      }
    });
    // A balancer that found no server, or a server closing before it read them, ends the
    // connection unanswered: for a new connection, that is a failure.
    socket.on('end', () => {
      if (lines.length < 2)
        settle({ kind: 'failed', reason: `ended after ${lines.length} of 2 replies` });
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      settle({ kind: 'failed', reason: error.code ?? error.message }),
    );
    socket.on('close', () =>
      resolve(outcome ?? { kind: 'failed', reason: 'closed without replies' }),
    );
  });
}

/** A visit, counted and reported. */
async function visit(options: Options, n: number, tally: Tally): Promise<boolean> {
  tally.visits.attempted++;
  const outcome = await visitOnce(options, n);
  if (outcome.kind === 'ok') {
    tally.visits.ok++;
    tally.saw(outcome.whoami, tally.visits.byBackend);
    emit({ event: 'visit', n, ok: true, backend: outcome.whoami.backend });
    return true;
  }
  tally.visitFailed(`visit ${n}: ${outcome.reason}`);
  emit({ event: 'visit', n, ok: false, reason: outcome.reason });
  return false;
}

/** Where a talker's current connection is; whether it has been asked to stop is separate. */
type TalkerState = 'connecting' | 'asking' | 'talking' | 'closed';

/** A long-lived client: whoami on each connection, then one line at a time, each checked. */
class Talker {
  #state: TalkerState = 'closed';
  #stopRequested = false;
  #socket: Socket | undefined;
  #outstanding: string | undefined;
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #onStopped: (() => void) | undefined;
  #onFirstReply: (() => void) | undefined;
  readonly firstReply: Promise<void>;

  constructor(
    readonly id: number,
    readonly options: Options,
    readonly tally: Tally,
  ) {
    this.firstReply = new Promise((resolve) => (this.#onFirstReply = resolve));
    this.#connect();
  }

  #connect(): void {
    this.#state = 'connecting';
    this.tally.talkers.connections++;
    let failed = false;
    const socket = createConnection({ host: this.options.host, port: this.options.port });
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(this.options.timeoutMs, () => {
      failed = true;
      this.tally.talkerFailed(`talker ${this.id}: timed out`);
      socket.destroy();
    });
    socket.on('connect', () => {
      this.#state = 'asking';
      socket.write(`${WHOAMI}\n`);
    });
    readLines(socket, (line) => this.#onLine(line));
    socket.on('end', () => {
      // The server's answer to our own end (when stopping) is not a close by the server.
      if (socket.writableEnded) return;
      if (this.#state !== 'talking') {
        // Like a visit: a new connection that ends before its first reply has failed.
        failed = true;
        this.tally.talkerFailed(`talker ${this.id}: connection ended before the whoami reply`);
        return;
      }
      this.tally.talkers.closedByServer++;
      if (this.#outstanding !== undefined) this.tally.talkers.resent++;
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      failed = true;
      this.tally.talkerFailed(`talker ${this.id}: ${error.code ?? error.message}`);
      if (this.#outstanding !== undefined) {
        this.tally.talkers.lost++;
        this.#outstanding = undefined;
      }
    });
    socket.on('close', () => {
      this.#state = 'closed';
      clearTimeout(this.#timer);
      if (this.#stopRequested && this.#outstanding === undefined) return this.#onStopped?.();
      // After a graceful end, at once (it is what a drain looks like); after a failure, at the
      // talking pace, so that a balancer that is down is not hammered.
      this.#timer = setTimeout(() => this.#connect(), failed ? this.options.talkEveryMs : 0);
    });
  }

  #onLine(line: string): void {
    if (this.#state === 'asking') {
      const whoami = parseWhoami(line);
      if (!whoami) this.tally.talkerFailed(`talker ${this.id}: not a whoami reply: ${line}`);
      else this.tally.saw(whoami, this.tally.talkers.byBackend);
      this.#state = 'talking';
      // A request left unanswered by a server that closed is sent again here.
      if (this.#outstanding !== undefined) this.#socket!.write(`${this.#outstanding}\n`);
      else if (this.#stopRequested) this.#socket!.end();
      else this.#next();
      return;
    }
    if (line !== this.#outstanding) {
      this.tally.talkers.wrong++;
      this.tally.talkerFailed(`talker ${this.id}: sent ${this.#outstanding}, got ${line}`);
    } else {
      this.tally.talkers.replies++;
    }
    this.#outstanding = undefined;
    this.#onFirstReply?.();
    this.#onFirstReply = undefined;
    if (this.#stopRequested) this.#socket!.end();
    else this.#timer = setTimeout(() => this.#next(), this.options.talkEveryMs);
  }

  #next(): void {
    if (this.#state !== 'talking') return;
    this.#outstanding = `talker ${this.id} ${++this.#seq} ${token()}`;
    this.tally.talkers.requests++;
    this.#socket!.write(`${this.#outstanding}\n`);
  }

  /** Lets the request in flight, if any, be answered, then closes; resolves once closed. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#onStopped = resolve;
      this.#stopRequested = true;
      if (this.#state === 'closed') {
        // Between connections: reconnect now if a request still needs its answer.
        clearTimeout(this.#timer);
        if (this.#outstanding === undefined) resolve();
        else this.#connect();
      } else if (this.#state === 'talking' && this.#outstanding === undefined) {
        clearTimeout(this.#timer);
        this.#socket!.end();
      }
      // Otherwise the connection is being set up or a reply is awaited: that ends it.
    });
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const tally = new Tally();
  const started = performance.now();
  const visits = new Set<Promise<boolean>>();
  let n = 0;
  const startVisit = () => {
    const running = visit(options, ++n, tally);
    visits.add(running);
    void running.finally(() => visits.delete(running));
    return running;
  };

  const talkers = Array.from(
    { length: options.longLived },
    (_, i) => new Talker(i + 1, options, tally),
  );
  await Promise.all([...talkers.map((t) => t.firstReply), startVisit()]);
  emit({ event: 'ready' });

  const ticker = setInterval(startVisit, options.everyMs);
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(resolve, options.maxSeconds * 1000);
    const stop = () => {
      clearTimeout(deadline);
      resolve();
    };
    process.stdin.on('end', stop).resume();
    process.once('SIGTERM', stop).once('SIGINT', stop);
  });
  clearInterval(ticker);
  await Promise.all([...visits, ...talkers.map((t) => t.stop())]);
  emit(tally.summary(Math.round(performance.now() - started) / 1000));
  process.exitCode = tally.failed ? 1 : 0;
}

main().catch((error: Error) => {
  process.stderr.write(`clients: ${error.message}\n`);
  process.exitCode = 2;
});
