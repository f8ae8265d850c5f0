import { connect } from 'node:net';
import { ReplyVerifier } from '@switchyard/conformance/verifier';
import { type Framing, makeRequests } from './load.js';

/** How long a contender gets to answer the whole correctness check. */
const VERIFY_TIMEOUT_MS = 10_000;

/**
 * The correctness check run before measuring a contender: on one connection, one request of
 * every size in the run, then two of each pipelined back to back; every reply must be the
 * request's exact bytes, in order. Resolves with undefined when correct, else with what went
 * wrong (a contender that fails is reported as errored and not measured).
 */
export function verifyEcho(
  host: string,
  port: number,
  sizes: readonly number[],
  framing: Framing,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const verifier = new ReplyVerifier();
    const requests = sizes.flatMap((size) => makeRequests(size, framing, 1));
    const pipelined = sizes.flatMap((size) => makeRequests(size, framing, 2));
    let answered = 0;
    let done = false;
    const finish = (problem: string | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const socket = connect({ host, port, noDelay: true });
    const timer = setTimeout(
      () =>
        finish(`timed out after ${VERIFY_TIMEOUT_MS} ms with ${verifier.pending} replies missing`),
      VERIFY_TIMEOUT_MS,
    );
    const sendNext = () => {
      if (answered < requests.length) {
        verifier.expect(requests[answered]!);
        socket.write(requests[answered]!);
      } else if (answered === requests.length) {
        for (const request of pipelined) verifier.expect(request);
        socket.write(Buffer.concat(pipelined));
      }
    };
    socket.once('connect', sendNext);
    socket.on('data', (chunk: Buffer) => {
      const mismatch = verifier.consume(chunk, () => {
        answered++;
        if (answered <= requests.length) sendNext();
        if (answered === requests.length + pipelined.length) finish(undefined);
      });
      if (mismatch) finish(`wrong reply: ${mismatch.message}`);
    });
    socket.on('error', (error) => finish(`connection failed: ${error.message}`));
    socket.on('close', () => finish(`connection closed with ${verifier.pending} replies missing`));
  });
}
