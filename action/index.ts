import { run } from './main.ts';

// The runner's entry point (action.yml `runs.main`, bundled to action/dist/index.js). Everything else is in
// main.ts, which tests and @github/local-action call directly; run() reports its own failures.
//
// Bundled dependencies (node-fetch 2 inside @kubernetes/client-node) call APIs Node 24 deprecates; the
// warnings would land in every user's workflow log, where nobody can act on them. They are ours to handle
// when the dependencies are upgraded.
process.noDeprecation = true;
await run();
