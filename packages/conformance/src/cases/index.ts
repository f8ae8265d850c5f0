import { backpressureSlowReader, fairnessNoStarvation } from './backpressure.js';
import { connConcurrent, connHalfClose, connOneAtATime, connReset } from './conn.js';
import type { CaseDefinition } from './define.js';
import { echoBinary, echoHello, echoLarge, echoMulticonn } from './echo.js';
import { framingGarbage, framingMalformed, framingTooLarge, framingTruncated } from './framing.js';
import { handlerError, handlerParallel } from './handler.js';
import { lifecycleDestroy, lifecycleGracefulClose } from './lifecycle.js';
import { limitsIdleTimeout, limitsMaxConnections } from './limits.js';
import {
  proxyGarbage,
  proxySplit,
  proxyTimeout,
  proxyTooLong,
  proxyV1,
  proxyV2,
  proxyV2Local,
} from './proxy.js';
import { netIpv6, socketNoDelay, statsCounters } from './socket.js';
import { streamEmptyFrames, streamFragmented, streamPipelined } from './stream.js';
import { tlsHandshakeTimeout, tlsPlaintextRefused } from './tls.js';

/** Every case, in report order. Ids are stable: add cases, never rename one. */
export const allCases: readonly CaseDefinition[] = Object.freeze([
  echoHello,
  echoMulticonn,
  echoLarge,
  echoBinary,
  streamFragmented,
  streamPipelined,
  streamEmptyFrames,
  connHalfClose,
  connReset,
  connConcurrent,
  connOneAtATime,
  backpressureSlowReader,
  fairnessNoStarvation,
  framingTooLarge,
  framingTruncated,
  framingGarbage,
  framingMalformed,
  handlerError,
  handlerParallel,
  lifecycleGracefulClose,
  lifecycleDestroy,
  limitsMaxConnections,
  limitsIdleTimeout,
  statsCounters,
  socketNoDelay,
  netIpv6,
  proxyV1,
  proxyV2,
  proxyV2Local,
  proxySplit,
  proxyGarbage,
  proxyTooLong,
  proxyTimeout,
  tlsPlaintextRefused,
  tlsHandshakeTimeout,
]);

export type { CaseDefinition } from './define.js';
