import { describeWorkloadConformance } from '../support/conformance.js';

// Named by URL: a path would be taken against the current directory, not this file.
describeWorkloadConformance(new URL('./workload.mjs', import.meta.url).href);
