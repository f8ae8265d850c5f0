export * from './codec.js';
export * from './codec-loader.js';
export * from './errors.js';
export * from './handler.js';
export * from './modules.js';
export * from './option-keys.js';
export * from './strategy.js';
export * from './strategy-options.js';
