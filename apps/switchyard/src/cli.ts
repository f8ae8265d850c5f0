#!/usr/bin/env node
import { strategies } from './registry.js';

// Placeholder until the CLI issue lands: `start` lists what exists.
const command = process.argv[2] ?? 'start';
if (command === '--help' || command === 'help') {
  console.log('usage: switchyard start');
} else if (command === 'start') {
  console.log('switchyard: strategies available');
  for (const strategy of strategies) {
    const { connections, parallelHandlers } = strategy.capabilities;
    console.log(
      `  ${strategy.name.padEnd(14)} ${connections}, handlers ${parallelHandlers ? 'parallel' : 'serial'} - ${strategy.description}`,
    );
  }
} else {
  console.error(`switchyard: unknown command ${command}`);
  process.exitCode = 2;
}
