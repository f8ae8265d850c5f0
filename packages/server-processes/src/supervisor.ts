// The supervisor: the cluster primary of one multi-process server, in a process of its own.
// It starts the serving children, relays what they report to the process that called `listen`,
// replaces a child that dies, and closes them when told. Entry module of its own process.
import type { ChildProcess } from 'node:child_process';
import { type Launch, launcher } from './launcher.js';
import {
  type ChildCommand,
  type ChildReport,
  KILL_GRACE_MS,
  type PrimaryCommand,
  type SupervisorPlan,
  type SupervisorReport,
} from './messages.js';
import { afterDeath } from './respawn.js';

interface Slot {
  child: ChildProcess | undefined;
  spawnedAt: number;
  listening: boolean;
  /** Early deaths in a row (see `afterDeath`). */
  streak: number;
  respawn: NodeJS.Timeout | undefined;
}

/**
 * `starting` until the primary says every child listens; `up` while children that die are
 * replaced; `stopping` once told to close or destroy, until the last child has exited.
 */
type Phase = 'starting' | 'up' | 'stopping';

function report(message: SupervisorReport, then?: () => void): void {
  if (!process.connected) return;
  process.send!(message, undefined, {}, () => then?.());
}

function tell(child: ChildProcess, command: ChildCommand): void {
  if (child.connected) child.send(command);
}

class Supervisor {
  private phase: Phase = 'starting';
  private readonly slots: Slot[];
  private readonly launch: Launch;
  /** The port the first child bound; later children bind it too where they must. */
  private boundPort: number | undefined;
  private stopping: PrimaryCommand['type'] | undefined;
  private backstop: NodeJS.Timeout | undefined;

  constructor(private readonly plan: SupervisorPlan) {
    this.launch = launcher(plan.distribution);
    this.slots = Array.from({ length: plan.processes }, () => ({
      child: undefined,
      spawnedAt: 0,
      listening: false,
      streak: 0,
      respawn: undefined,
    }));
  }

  start(): void {
    // With reuseport the first child picks the port (0 included); the others bind that one.
    const first = this.plan.distribution === 'reuseport' ? [0] : this.slots.keys();
    for (const slot of first) this.spawn(slot);
  }

  up(): void {
    if (this.phase === 'starting') this.phase = 'up';
  }

  stop(command: Extract<PrimaryCommand, { type: 'close' | 'destroy' }>): void {
    if (this.stopping === 'destroy' || this.stopping === command.type) return;
    this.stopping = command.type;
    this.phase = 'stopping';
    for (const slot of this.slots) clearTimeout(slot.respawn);
    for (const slot of this.slots) if (slot.child) tell(slot.child, command);
    // A child stuck in a handler that never yields cannot close: past its time it is killed.
    clearTimeout(this.backstop);
    const graceMs = command.type === 'close' ? command.timeoutMs + KILL_GRACE_MS : KILL_GRACE_MS;
    this.backstop = setTimeout(() => this.killAll(), graceMs);
    this.exitIfDone();
  }

  killAll(): void {
    for (const slot of this.slots) slot.child?.kill('SIGKILL');
  }

  /**
   * What a child listens with. A cluster child joins the listener its siblings share when it
   * asks for the address they asked for (port 0 included); with no sibling listening, or with
   * reuseport, it binds the port the first child got.
   */
  private optionsFor(slot: number): Readonly<Record<string, unknown>> {
    const { options, distribution } = this.plan;
    const reuse = distribution === 'reuseport';
    const siblingsListen = this.slots.some((other, index) => index !== slot && other.listening);
    const port =
      this.boundPort !== undefined && (reuse || !siblingsListen) ? this.boundPort : options.port;
    return { ...options, ...(port !== undefined && { port }), ...(reuse && { reusePort: true }) };
  }

  private spawn(slot: number): void {
    const state = this.slots[slot]!;
    const child = this.launch();
    Object.assign(state, { child, spawnedAt: Date.now(), listening: false, respawn: undefined });
    const pid = child.pid ?? 0;
    report({ type: 'spawned', slot, pid });
    // A failure to start it shows as its exit; a send to a child that is going is dropped.
    child.on('error', () => {});
    child.on('message', (message: ChildReport) => {
      if (message.type === 'ready') {
        tell(child, {
          type: 'start',
          strategy: this.plan.strategy,
          options: this.optionsFor(slot),
        });
        return;
      }
      if (message.type === 'listening')
        this.onListening(slot, 'port' in message.address ? message.address.port : 0);
      report({ type: 'child', slot, pid, message });
    });
    child.once('exit', (code, signal) =>
      this.onExit(slot, child, signal ? `signal ${signal}` : `code ${code}`),
    );
  }

  private onListening(slot: number, port: number): void {
    this.slots[slot]!.listening = true;
    const first = this.boundPort === undefined;
    this.boundPort ??= port;
    if (first && this.plan.distribution === 'reuseport') {
      for (let other = 1; other < this.slots.length; other++) this.spawn(other);
    }
  }

  private onExit(slot: number, child: ChildProcess, how: string): void {
    const state = this.slots[slot]!;
    state.child = undefined;
    state.listening = false;
    let respawnInMs: number | undefined;
    if (this.phase === 'up') {
      const decision = afterDeath(state.streak, Date.now() - state.spawnedAt);
      state.streak = decision.streak;
      respawnInMs = decision.delayMs;
      state.respawn = setTimeout(() => this.spawn(slot), respawnInMs);
    }
    report({
      type: 'exited',
      slot,
      pid: child.pid ?? 0,
      how,
      ...(respawnInMs !== undefined && { respawnInMs }),
    });
    this.exitIfDone();
  }

  private exitIfDone(): void {
    if (this.phase !== 'stopping' || this.slots.some((slot) => slot.child)) return;
    clearTimeout(this.backstop);
    report({ type: 'done' }, () => process.exit(0));
    if (!process.connected) process.exit(0);
  }
}

let supervisor: Supervisor | undefined;

process.on('message', (command: PrimaryCommand) => {
  if (command.type === 'start') {
    supervisor ??= new Supervisor(command.plan);
    supervisor.start();
  } else if (command.type === 'up') {
    supervisor?.up();
  } else if (supervisor) {
    supervisor.stop(command);
  } else {
    process.exit(0);
  }
});

// Signals are the primary's to act on (a terminal's Ctrl-C reaches the whole process group).
// Without a primary there is nothing to serve for: every child goes, then this process.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('disconnect', () => {
  supervisor?.killAll();
  process.exit(1);
});
report({ type: 'ready' });
