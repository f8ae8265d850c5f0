import { describeWorkloadConformance } from '../support/conformance.js';

// Every reply is checked by the workload: a GET that lost its SET fails the case it is in.
describeWorkloadConformance(new URL('./workload.mjs', import.meta.url).href);
