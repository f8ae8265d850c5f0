import type { Handler } from '@switchyard/protocol';

/** Replies to every request with its first byte repeated 16 KiB times: small requests, big replies. */
const amplify: Handler = (request) => Buffer.alloc(16 * 1024, request[0] ?? 0x2e);

export default amplify;
