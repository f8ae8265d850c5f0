// A serving child: runs the strategy it is told to, exactly as it would run in one process, and
// reports to the supervisor over IPC. Entry module of its own process.
import {
  type ConnectionFailure,
  type RunningServer,
  type ServerWarning,
  serializeError,
} from '@switchyard/protocol';
import {
  type ChildCommand,
  type ChildReport,
  MAX_FAILURES_PER_BATCH,
  type SerializedFailure,
  STATS_INTERVAL_MS,
} from './messages.js';
import { importStrategy } from './strategy-import.js';

/**
 * `idle` until told to start; `starting` while the strategy loads and binds; `serving`; then
 * `stopping` from a close or destroy until it exits.
 */
type State = 'idle' | 'starting' | 'serving' | 'stopping';

let state: State = 'idle';
let running: RunningServer | undefined;
let lastStats = '';
let statsTimer: NodeJS.Timeout | undefined;
let pending: SerializedFailure[] = [];
let dropped = 0;

function report(message: ChildReport, then?: () => void): void {
  // The channel may be gone (the supervisor died): then this process is on its way out.
  if (!process.connected) return;
  process.send!(message, undefined, {}, () => then?.());
}

/** Sends the stats if they changed since the last time. */
function pushStats(): void {
  if (!running) return;
  const stats = running.stats();
  const text = JSON.stringify(stats);
  if (text === lastStats) return;
  lastStats = text;
  report({ type: 'stats', stats });
}

/** Failures go out once per event-loop turn, as one message. */
function queueFailure(failure: ConnectionFailure): void {
  if (pending.length >= MAX_FAILURES_PER_BATCH) {
    dropped++;
    return;
  }
  if (pending.length === 0 && dropped === 0) setImmediate(flushFailures);
  pending.push({ ...failure, error: serializeError(failure.error) });
}

function flushFailures(): void {
  report({ type: 'failures', failures: pending, dropped });
  pending = [];
  dropped = 0;
}

function forwardWarning({ error, ...warning }: ServerWarning): void {
  report({
    type: 'warning',
    warning: { ...warning, ...(error !== undefined && { error: serializeError(error) }) },
  });
}

async function start(command: Extract<ChildCommand, { type: 'start' }>): Promise<void> {
  state = 'starting';
  try {
    const strategy = await importStrategy(command.strategy);
    running = await strategy.listen(command.options);
  } catch (error) {
    report({ type: 'start-failed', error: serializeError(error) }, () => process.exit(1));
    return;
  }
  if (state !== 'starting') {
    // Told to stop while it was binding.
    await running.destroy();
    process.exit(0);
  }
  state = 'serving';
  running.on('failure', queueFailure);
  running.on('warning', forwardWarning);
  report({ type: 'listening', address: running.address });
  pushStats();
  statsTimer = setInterval(pushStats, STATS_INTERVAL_MS);
}

/** Closes (or destroys) the server, sends its last stats and how it went, then exits. */
async function stop(how: () => Promise<void>): Promise<void> {
  let error: unknown;
  try {
    await how();
  } catch (caught) {
    error = caught;
  }
  clearInterval(statsTimer);
  if (pending.length > 0 || dropped > 0) flushFailures();
  pushStats();
  report({ type: 'closed', ...(error !== undefined && { error: serializeError(error) }) }, () =>
    process.exit(0),
  );
}

process.on('message', (command: ChildCommand) => {
  if (command.type === 'start') {
    if (state === 'idle') void start(command);
    return;
  }
  if (state === 'idle') process.exit(0);
  if (state === 'stopping') {
    // A destroy while closing aborts what the close still waits for.
    if (command.type === 'destroy') void running?.destroy();
    return;
  }
  const server = running;
  const was = state;
  state = 'stopping';
  // Not serving yet: `start` sees the new state once its listen settles, and stops then.
  if (was !== 'serving' || !server) return;
  void stop(() =>
    command.type === 'close' ? server.close({ timeoutMs: command.timeoutMs }) : server.destroy(),
  );
});

// Signals are the primary's to act on: a terminal's Ctrl-C reaches the whole process group,
// and the primary closes every child gracefully, once. A child whose primary is gone exits.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('disconnect', () => process.exit(0));
report({ type: 'ready' });
