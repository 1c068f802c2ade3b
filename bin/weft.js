#!/usr/bin/env node
// The `weft` command: loads the TypeScript CLI through tsx (a dependency) and runs it.
import { register } from 'tsx/esm/api';

register();
const { main, LONG_RUNNING } = await import('../server/cli.ts');
const argv = process.argv.slice(2);
const code = await main(argv);
// A server or worker that has shut down exits now, whatever handle a library left open.
if (LONG_RUNNING.has(argv[0] ?? '')) process.exit(code);
process.exitCode = code;
