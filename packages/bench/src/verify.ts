import { type DialTarget, dial } from './dial.js';
import type { Traffic } from './traffic.js';

/** How long a contender gets to answer the whole correctness check. */
const VERIFY_TIMEOUT_MS = 10_000;

/**
 * The correctness check run before measuring a contender: on one connection, one request of
 * each traffic (one per request size of the run) one at a time, then two of each pipelined back
 * to back; every reply must satisfy the workload's oracle, in order. Resolves with undefined when
 * right, else with what went wrong: the request, the reply and the reason (a contender that fails
 * is reported as errored and not measured). Over TLS (`target.tls`) the connection is a TLS
 * client's, which checks the server's certificate: one it does not trust fails the check.
 */
export function verifyService(
  target: DialTarget,
  traffics: readonly Traffic[],
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const checker = traffics[0]!.checker();
    let seq = 0;
    const next = (traffic: Traffic) => {
      const { frame, wire } = traffic.request(seq++, 0);
      checker.expect(frame);
      return wire;
    };
    let answered = 0;
    let done = false;
    const pipelinedCount = traffics.length * 2;
    const finish = (problem: string | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const { socket, ready } = dial(target);
    const timer = setTimeout(
      () =>
        finish(`timed out after ${VERIFY_TIMEOUT_MS} ms with ${checker.pending} replies missing`),
      VERIFY_TIMEOUT_MS,
    );
    const sendNext = () => {
      try {
        if (answered < traffics.length) {
          socket.write(next(traffics[answered]!));
        } else if (answered === traffics.length) {
          const wires = traffics.flatMap((traffic) => [next(traffic), next(traffic)]);
          socket.write(Buffer.concat(wires));
        }
      } catch (error) {
        finish((error as Error).message);
      }
    };
    socket.once(ready, sendNext);
    socket.on('data', (chunk: Buffer) => {
      const problem = checker.consume(chunk, () => {
        answered++;
        if (answered <= traffics.length) sendNext();
        if (answered === traffics.length + pipelinedCount) finish(undefined);
      });
      if (problem !== undefined) finish(problem);
    });
    socket.on('error', (error) => finish(`connection failed: ${error.message}`));
    socket.on('close', () => finish(`connection closed with ${checker.pending} replies missing`));
  });
}
