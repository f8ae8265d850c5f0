// HAProxy's view of its servers, read from its stats socket (`show stat`): whether each one is
// in rotation, and how many connections it took, retried or redispatched.
import { createConnection } from 'node:net';

/** One row of `show stat`: a frontend, a backend, or a server, by HAProxy's column names. */
export type StatRow = Readonly<Record<string, string>>;

/** What the topology reads about one server. */
export interface ServerStat {
  readonly proxy: string;
  readonly server: string;
  /** `UP`, `DOWN`, `UP 1/2` (going down), `DOWN 1/2` (coming up), `MAINT`, `DRAIN`, `no check`. */
  readonly status: string;
  /** Connections it took since HAProxy started. */
  readonly sessions: number;
  /** Connections to it that failed and were retried. */
  readonly retries: number;
  /** Connections that failed on it and were sent to another server. */
  readonly redispatches: number;
  /** Connection attempts to it that failed. */
  readonly connectionErrors: number;
}

/** Parses the CSV `show stat` prints: a `# name,name,...` header, then one line per row. */
export function parseShowStat(text: string): StatRow[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const header = lines.shift();
  if (header === undefined || !header.startsWith('# ')) return [];
  const columns = header.slice(2).split(',');
  return lines.map((line) => {
    const values = line.split(',');
    return Object.fromEntries(columns.map((column, i) => [column, values[i] ?? '']));
  });
}

const count = (value: string | undefined) => (value ? Number(value) : 0);

/** The server rows (not the FRONTEND and BACKEND totals) of `show stat`. */
export function serverStats(rows: readonly StatRow[]): ServerStat[] {
  return rows
    .filter(({ svname }) => svname !== undefined && svname !== 'FRONTEND' && svname !== 'BACKEND')
    .map((row) => ({
      proxy: row.pxname ?? '',
      server: row.svname ?? '',
      status: row.status ?? '',
      sessions: count(row.stot),
      retries: count(row.wretr),
      redispatches: count(row.wredis),
      connectionErrors: count(row.econ),
    }));
}

/** Sends one command to an HAProxy stats socket and resolves with everything it answered. */
export function statsCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.once('error', reject);
    socket.once('end', () => resolve(text));
    socket.end(`${command}\n`);
  });
}

/** The servers of every backend, as HAProxy sees them now. */
export async function readServerStats(socketPath: string): Promise<ServerStat[]> {
  return serverStats(parseShowStat(await statsCommand(socketPath, 'show stat')));
}
