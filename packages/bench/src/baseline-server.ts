// The `baseline` contender: the plainest echo server Node can run, for scale. No framing, no
// handler, no limits: `net` with TCP_NODELAY and `socket.pipe(socket)`, on `--host`/`--port` or
// the Unix socket `--path`. Prints the same ready line as `switchyard serve` and exits on SIGTERM.
import { createServer } from 'node:net';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback;
};

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => socket.destroy());
  socket.pipe(socket);
});
const path = option('--path', '');
const where =
  path === ''
    ? { host: option('--host', '127.0.0.1'), port: Number(option('--port', '0')) }
    : { path };
server.listen(where, () => {
  const address = server.address();
  if (address === null) throw new Error('no address');
  if (typeof address === 'string') {
    process.stdout.write(`listening on unix:${address}\n`);
    return;
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  process.stdout.write(`listening on ${host}:${address.port}\n`);
});
// A baseline has no in-flight work worth waiting for: stop at once.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
