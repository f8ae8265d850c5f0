// CPU cost of one burn() call on a 1 KiB request: 7 runs of 3000 calls after a warm-up, median
// run. Usage: pnpm exec tsx packages/protocol/scripts/measure-burn.ts [rounds]
import burn, { DEFAULT_BURN_ROUNDS } from '../src/handlers/burn.js';
import type { HandlerContext } from '../src/index.js';

const rounds = Number(process.argv[2] ?? DEFAULT_BURN_ROUNDS);
const request = Buffer.alloc(1024, 7);
const context: HandlerContext = {
  connectionId: 1,
  remoteAddress: '127.0.0.1',
  remotePort: 0,
  codec: 'raw',
  options: { rounds },
};
const calls = 3000;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

for (let i = 0; i < 1000; i++) burn(request, context);
const cpu: number[] = [];
const wall: number[] = [];
for (let run = 0; run < 7; run++) {
  const cpuStart = process.cpuUsage();
  const wallStart = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) burn(request, context);
  const used = process.cpuUsage(cpuStart);
  wall.push(Number(process.hrtime.bigint() - wallStart) / 1000 / calls);
  cpu.push((used.user + used.system) / calls);
}
console.log(
  `node ${process.version}, ${rounds} rounds, 1 KiB: cpu ${median(cpu).toFixed(1)} us, ` +
    `wall ${median(wall).toFixed(1)} us per request (${(median(cpu) / rounds).toFixed(2)} us per round)`,
);
