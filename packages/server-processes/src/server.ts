import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import {
  type CloseOptions,
  CloseTimeoutError,
  deserializeError,
  ErrorCode,
  ListenFailedError,
  type RunningServer,
  type ServerAddress,
  type ServerEvents,
  type ServerStats,
  type StrategyImport,
  type SwitchyardError,
  WorkerExitedError,
} from '@switchyard/protocol';
import { DEFAULT_CLOSE_TIMEOUT_MS } from '@switchyard/server-core';
import { EMPTY_STATS, retired, sumStats } from './aggregate.js';
import {
  type ChildReport,
  KILL_GRACE_MS,
  type PrimaryCommand,
  type SupervisorPlan,
  type SupervisorReport,
} from './messages.js';
import type { ProcessesPlan } from './options.js';
import { startSupervisor } from './supervisor-process.js';

/** A serving process as the primary sees it. */
export type ProcessState = 'starting' | 'listening' | 'stopping' | 'exited';

/** One process slot: the live process in it, and what it counts. */
export interface ProcessStats {
  /** 1-based: `process 1`. */
  readonly process: number;
  /** The process serving in this slot now (or last, when it has exited). */
  readonly pid: number;
  readonly state: ProcessState;
  /** Processes in this slot that died while the server ran (each was replaced, or is about to be). */
  readonly exits: number;
  /** The stats of the process in this slot (the last it sent, once it has exited). */
  readonly stats: ServerStats;
}

/** A multi-process server's stats: the sum over every process, and each process's own. */
export interface MultiProcessStats extends ServerStats {
  readonly processes: readonly ProcessStats[];
  /** The supervisor: the cluster primary (or the parent of `reuseport` children). */
  readonly supervisorPid: number;
}

/** Connection ids are the process's number (in spawn order, from 1) times this, plus its own id. */
export const CONNECTION_ID_STRIDE = 1_000_000_000;

interface Slot {
  pid: number;
  state: ProcessState;
  exits: number;
  /** Spawn order of the process now in it: the high part of its connections' ids. */
  generation: number;
  stats: ServerStats;
  /** Why its process could not start, told with its exit. */
  startError: SwitchyardError | undefined;
}

/** `starting` until every process listens; `closing` from close/destroy; `closed` once all exited. */
type State = 'starting' | 'listening' | 'closing' | 'closed';

/**
 * The primary's side of N processes serving one port: a `RunningServer` like any other. It
 * starts a supervisor process, which starts the serving children (see supervisor.ts); `listen`
 * resolves once every child listens. Stats are the sum of what each child last sent; failures
 * and warnings are re-emitted here with their errors rebuilt; close and destroy go to every
 * child, and resolve once every process (supervisor included) has exited.
 */
export class MultiProcessServer extends EventEmitter<ServerEvents> implements RunningServer {
  private state: State = 'starting';
  private readonly slots: Slot[];
  private readonly supervisor: ChildProcess;
  private readonly exited: Promise<void>;
  private boundAddress: ServerAddress | undefined;
  /** What every process that has exited counted, and the primary's own count of exits. */
  private gone: ServerStats = EMPTY_STATS;
  private spawned = 0;
  private readonly plan: SupervisorPlan;
  /** What the supervisor was last told to do to stop (sent on `ready` if it was not yet). */
  private stopping: PrimaryCommand | undefined;
  private closeTimedOut = false;
  private closeOnce: Promise<void> | undefined;
  private destroyOnce: Promise<void> | undefined;
  private readonly startup: {
    promise: Promise<void>;
    settle(error?: unknown): void;
  };

  /** Starts every process; resolves once all listen, or rejects (with nothing left running). */
  static async start(plan: ProcessesPlan, strategy: StrategyImport): Promise<MultiProcessServer> {
    const server = new MultiProcessServer(plan, strategy);
    try {
      await server.startup.promise;
    } catch (error) {
      await server.destroy();
      throw error;
    }
    server.state = 'listening';
    server.command({ type: 'up' });
    return server;
  }

  private constructor(plan: ProcessesPlan, strategy: StrategyImport) {
    super();
    this.slots = Array.from({ length: plan.processes }, () => ({
      pid: 0,
      state: 'starting' as ProcessState,
      exits: 0,
      generation: 0,
      stats: EMPTY_STATS,
      startError: undefined,
    }));
    let settle!: (error?: unknown) => void;
    const promise = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.startup = { promise, settle };
    this.supervisor = startSupervisor();
    this.supervisor.on('message', (report: SupervisorReport) => this.onReport(report));
    this.exited = new Promise((resolve) => {
      this.supervisor.once('exit', (code, signal) => {
        this.onSupervisorExit(signal ? `signal ${signal}` : `code ${code}`);
        resolve();
      });
      this.supervisor.once('error', (error) => {
        this.startup.settle(
          new ListenFailedError(`cannot start the supervisor process: ${error.message}`, {
            cause: error,
          }),
        );
        if (this.supervisor.pid === undefined) resolve();
      });
    });
    this.plan = {
      strategy,
      options: plan.options,
      processes: plan.processes,
      distribution: plan.distribution,
    };
  }

  get address(): ServerAddress {
    if (!this.boundAddress) throw new Error('server is not listening yet');
    return this.boundAddress;
  }

  stats(): MultiProcessStats {
    const live = this.slots.filter((slot) => slot.state !== 'exited');
    return {
      ...sumStats([this.gone, ...live.map((slot) => slot.stats)]),
      processes: this.slots.map((slot, index) => ({
        process: index + 1,
        pid: slot.pid,
        state: slot.state,
        exits: slot.exits,
        stats: slot.stats,
      })),
      supervisorPid: this.supervisor.pid ?? 0,
    };
  }

  /**
   * Every process closes gracefully with this timeout, as one process would; resolves once all
   * have exited. Rejects with `SWITCHYARD_ERR_CLOSE_TIMEOUT` when any of them ran out of time.
   */
  close({ timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS }: CloseOptions = {}): Promise<void> {
    if (this.closeOnce) return this.closeOnce;
    if (this.destroyOnce) return (this.closeOnce = this.destroyOnce);
    this.closeOnce = this.stop({ type: 'close', timeoutMs }, timeoutMs).then(() => {
      if (this.closeTimedOut) throw new CloseTimeoutError(timeoutMs);
    });
    return this.closeOnce;
  }

  destroy(): Promise<void> {
    this.destroyOnce ??= this.stop({ type: 'destroy' }, 0);
    return this.destroyOnce;
  }

  private command(command: PrimaryCommand): void {
    if (this.supervisor.connected) this.supervisor.send(command);
  }

  /** Tells the supervisor; past the children's own deadline and its grace, kills what is left. */
  private async stop(command: PrimaryCommand, deadlineMs: number): Promise<void> {
    if (this.state !== 'closed') this.state = 'closing';
    this.stopping = command;
    this.command(command);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(resolve, deadlineMs + 2 * KILL_GRACE_MS, 'late');
    });
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.closeTimedOut = true;
      for (const pid of [this.supervisor.pid, ...this.slots.map((slot) => slot.pid)]) {
        if (pid) killQuietly(pid);
      }
      await this.exited;
    }
  }

  private onReport(report: SupervisorReport): void {
    if (report.type === 'ready') {
      // A destroy while the supervisor loaded is sent now instead of the start.
      this.command(this.stopping ?? { type: 'start', plan: this.plan });
      return;
    }
    if (report.type === 'done') return;
    const slot = this.slots[report.slot]!;
    if (report.type === 'spawned') {
      Object.assign(slot, {
        pid: report.pid,
        state: 'starting',
        generation: ++this.spawned,
        stats: EMPTY_STATS,
        startError: undefined,
      });
    } else if (report.type === 'child') {
      this.onChild(report.slot, report.message);
    } else {
      this.onChildExit(report.slot, report.how, report.respawnInMs);
    }
  }

  private onChild(index: number, message: ChildReport): void {
    const slot = this.slots[index]!;
    const id = (connectionId: number) => slot.generation * CONNECTION_ID_STRIDE + connectionId;
    switch (message.type) {
      case 'listening':
        slot.state = 'listening';
        this.boundAddress ??= message.address;
        if (this.state === 'starting' && this.slots.every((each) => each.state === 'listening')) {
          this.startup.settle();
        }
        break;
      case 'start-failed':
        slot.startError = deserializeError(message.error) as SwitchyardError;
        if (this.state === 'starting') this.startup.settle(slot.startError);
        break;
      case 'stats':
        slot.stats = message.stats;
        break;
      case 'failures':
        for (const failure of message.failures) {
          this.emit('failure', {
            ...failure,
            connectionId: id(failure.connectionId),
            error: deserializeError(failure.error) as SwitchyardError,
          });
        }
        break;
      case 'warning': {
        const { error, connectionId, ...warning } = message.warning;
        this.emit('warning', {
          ...warning,
          message: `process ${index + 1}: ${warning.message}`,
          ...(connectionId !== undefined && { connectionId: id(connectionId) }),
          ...(error !== undefined && { error: deserializeError(error) as SwitchyardError }),
        });
        break;
      }
      case 'closed':
        if (message.error?.code === ErrorCode.CLOSE_TIMEOUT) this.closeTimedOut = true;
        break;
    }
  }

  private onChildExit(index: number, how: string, respawnInMs: number | undefined): void {
    const slot = this.slots[index]!;
    const lost = slot.stats.active;
    const before = slot.state;
    this.gone = sumStats([this.gone, retired(slot.stats)]);
    slot.stats = retired(slot.stats);
    slot.state = 'exited';
    const who = `process ${index + 1} (pid ${slot.pid})`;
    if (this.state === 'starting') {
      this.startup.settle(
        slot.startError ?? new WorkerExitedError(`${who} exited (${how}) before it listened`),
      );
      return;
    }
    if (this.state !== 'listening') return;
    slot.exits++;
    this.gone = sumStats([this.gone, { ...EMPTY_STATS, errors: { [ErrorCode.WORKER_EXITED]: 1 } }]);
    const why = slot.startError ? `could not start: ${slot.startError.message}` : `exited (${how})`;
    const cost = before === 'listening' ? `; ${lost} open connection(s) went with it` : '';
    const next =
      respawnInMs === undefined
        ? ''
        : respawnInMs === 0
          ? '; replacing it'
          : `; replacing it in ${respawnInMs} ms (it died soon after it started)`;
    const message = `${who} ${why}${cost}${next}`;
    this.emit('warning', {
      kind: 'worker-exited',
      message,
      error: new WorkerExitedError(message, { cause: slot.startError }),
    });
  }

  private onSupervisorExit(how: string): void {
    const wasListening = this.state === 'listening';
    for (const [index, slot] of this.slots.entries()) {
      if (slot.state !== 'exited') this.onChildExit(index, 'its supervisor exited', undefined);
    }
    this.state = 'closed';
    this.startup.settle(
      new ListenFailedError(`the supervisor process exited (${how}) before every process listened`),
    );
    if (wasListening) {
      const message = `the supervisor process (pid ${this.supervisor.pid}) exited (${how}): no process serves any more`;
      this.emit('warning', {
        kind: 'worker-exited',
        message,
        error: new WorkerExitedError(message),
      });
    }
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
