// The upper traffic served by a handler that lower-cases: what a wrong service looks like to
// `switchyard conformance --workload` and `switchyard bench --workload`. The workload still says
// what a good reply is; only the handler is wrong.
import upper from './workload.mjs';

/** @type {import('@switchyard/protocol').Workload} */
const served = { ...upper, name: 'upper-served-wrongly', handler: './wrong-handler.mjs' };

export default served;
