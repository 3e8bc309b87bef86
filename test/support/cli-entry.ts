// The CLI from its sources, for tests that need it as a child process (an MCP client spawns its server).
import { main } from '../../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
