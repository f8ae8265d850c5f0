export { getStrategy, strategies, strategyNames } from './registry.js';
