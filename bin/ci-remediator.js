#!/usr/bin/env node
// The CLI is bundled by `npm run build` (run by `npm ci` through `prepare`) into dist/, so that start-up
// reads a few modules instead of resolving hundreds. The binary is where the core CLI (src/cli, dist/cli.js)
// and the operator (operator/cli.ts, dist/operator.js) meet: src/ never imports operator/, so the
// `operator` command is handed in here, and loaded only when it runs (docs/adr/0003-cli-and-operator-entry.md).
import { main } from '../dist/cli.js';

const adapters = { operator: async () => (await import('../dist/operator.js')).run };
process.exitCode = await main(process.argv.slice(2), undefined, adapters);
