#!/usr/bin/env node
// The CLI is bundled by `npm run build` (run by `npm ci` through `prepare`) into one file,
// so that start-up reads one module instead of resolving hundreds.
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
