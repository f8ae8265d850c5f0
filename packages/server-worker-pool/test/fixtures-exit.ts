// Run as a child process: starts a server, serves one request, then closes (or destroys) it.
// The test asserts that the process then exits by itself: no thread or handle left behind.
import { connect } from 'node:net';
import { connectTarget } from '@switchyard/protocol';
import { workerPoolStrategy } from '../src/index.js';

const [mode, ending] = process.argv.slice(2) as ['offload' | 'handoff', 'close' | 'destroy'];
const server = await workerPoolStrategy.listen({ mode, workers: 2, codec: 'lines' });
const socket = connect(connectTarget(server.address));
socket.write('ping\n');
await new Promise((resolve) => socket.once('data', resolve));
if (ending === 'close') {
  socket.end();
  await server.close();
} else {
  await server.destroy();
  socket.destroy();
}
console.log('ended');
