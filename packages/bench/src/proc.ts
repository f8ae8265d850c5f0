import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';

// Server resources come from Linux's /proc, so they work for any server process, including
// external commands written in other languages. Each reader covers the process and its
// descendants (a `sh -c` wrapper, a cluster of workers): threads are already summed per process.

let clockTicks: number | undefined;

/** Clock ticks per second, the unit of utime/stime in /proc/<pid>/stat (`getconf CLK_TCK`). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100; // Linux's USER_HZ on every mainstream architecture.
    }
  }
  return clockTicks;
}

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime, in clock ticks. */
  readonly cpuTicks: number;
}

/** Parses /proc/<pid>/stat. The command name is in parentheses and may contain spaces. */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  const pid = Number.parseInt(text, 10);
  // Fields after the name start at field 3 (state); ppid is field 4, utime 14, stime 15.
  const fields = text.slice(close + 2).split(' ');
  return {
    pid,
    ppid: Number(fields[1]),
    cpuTicks: Number(fields[11]) + Number(fields[12]),
  };
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // exited between listing and reading
  }
}

/** The pid and every live descendant of it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(stat.pid);
    else children.set(stat.ppid, [stat.pid]);
  }
  const tree = [root];
  for (let index = 0; index < tree.length; index++) {
    tree.push(...(children.get(tree[index]!) ?? []));
  }
  return tree;
}

/** CPU time (user + system) used so far by a process tree, in microseconds. */
export function treeCpuMicros(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) ticks += readStat(pid)?.cpuTicks ?? 0;
  return (ticks * 1e6) / clockTicksPerSecond();
}

/** Peak resident set size (VmHWM) summed over a process tree, in bytes. */
export function treePeakRssBytes(root: number): number {
  let total = 0;
  for (const pid of processTree(root)) {
    try {
      const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) total += Number(match[1]) * 1024;
    } catch {
      // exited
    }
  }
  return total;
}

/**
 * Resets the peak RSS of a process tree to its current RSS (`echo 5 > /proc/<pid>/clear_refs`),
 * so the next VmHWM reading is the peak of one window rather than of the process's life.
 * Returns false where the kernel or permissions do not allow it.
 */
export function resetTreePeakRss(root: number): boolean {
  let ok = true;
  for (const pid of processTree(root)) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      ok = false;
    }
  }
  return ok;
}

/** A TCP socket as a row of /proc/net/tcp or /proc/net/tcp6 lists it. */
export interface ProcTcpSocket {
  readonly localPort: number;
  /** The kernel's state number: 1 is ESTABLISHED, 10 LISTEN. */
  readonly state: number;
  readonly inode: number;
}

const TCP_ESTABLISHED = 1;
const TCP_LISTEN = 10;

/** Parses /proc/net/tcp or /proc/net/tcp6: `sl local rem st ... uid timeout inode ...`. */
export function parseProcNetTcp(text: string): ProcTcpSocket[] {
  const sockets: ProcTcpSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const local = fields[1]!;
    sockets.push({
      localPort: Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16),
      state: Number.parseInt(fields[3]!, 16),
      inode: Number(fields[9]),
    });
  }
  return sockets;
}

/** The inodes of the sockets a process has open (`/proc/<pid>/fd/*` -> `socket:[inode]`). */
function socketInodes(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return match ? [Number(match[1])] : [];
      } catch {
        return []; // closed while listed
      }
    });
  } catch {
    return []; // exited
  }
}

/**
 * How the connections to `port` are spread over the processes of a server's tree, as the kernel
 * sees it (not as the server says): for each process that serves, in pid order, its ESTABLISHED
 * TCP sockets whose local port is `port`. A process serves when it holds such a socket, or when
 * it holds the listening socket and none of its descendants holds a connection (an idle worker
 * of a shared listener shows as 0). A process that hands connections out (a cluster primary) or
 * only starts others (`sh -c`, a supervisor) does not; an idle worker that holds no socket of
 * the port at all (a round-robin cluster worker) is not seen.
 */
export function connectionsPerProcess(root: number, port: number): number[] {
  const established = new Set<number>();
  const listening = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const socket of parseProcNetTcp(readFileSync(table, 'utf8'))) {
        if (socket.localPort !== port) continue;
        if (socket.state === TCP_ESTABLISHED) established.add(socket.inode);
        if (socket.state === TCP_LISTEN) listening.add(socket.inode);
      }
    } catch {
      // no IPv6
    }
  }
  const members = processTree(root).map((pid) => {
    const inodes = socketInodes(pid);
    return {
      pid,
      parent: readStat(pid)?.ppid,
      connections: inodes.filter((inode) => established.has(inode)).length,
      listens: inodes.some((inode) => listening.has(inode)),
    };
  });
  // Processes with connections, and every ancestor of one within the tree.
  const aboveConnections = new Set<number>();
  for (const member of members) {
    if (member.connections === 0) continue;
    for (let pid = member.parent; pid !== undefined && !aboveConnections.has(pid); ) {
      aboveConnections.add(pid);
      pid = members.find((candidate) => candidate.pid === pid)?.parent;
    }
  }
  return members
    .filter(
      ({ pid, connections, listens }) => connections > 0 || (listens && !aboveConnections.has(pid)),
    )
    .sort((a, b) => a.pid - b.pid)
    .map(({ connections }) => connections);
}
