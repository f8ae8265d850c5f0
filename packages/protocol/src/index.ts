export * from './codec.js';
export * from './errors.js';
export * from './handler.js';
export * from './strategy.js';
export * from './strategy-options.js';
