import type { Handler } from '../handler.js';

/** Replies with the request, unchanged. */
const echo: Handler = (request) => request;

export default echo;
