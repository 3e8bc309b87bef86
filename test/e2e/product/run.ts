// `npm run e2e`: the whole product on a control plane of its own, installed with its Helm chart, driven through
// the scenarios of issue 12 (test/e2e/product/scenarios.ts). Prints each record's timeline from the audit
// trail and exits non-zero on any deviation. docs/testing.md, "The product end to end".
//
//   npm run e2e [-- --only a,e,f]
//
// Needs what the test suite needs: PostgreSQL on 127.0.0.1:5432 (CI_REMEDIATOR_TEST_PG_ADMIN_URL), kubectl, and
// the control plane and helm binaries (built once per machine from the Go module proxy, cached).
import { parseArgs } from 'node:util';
import { applyPolicy, say, startEnvironment, type Environment } from './environment.ts';
import { SCENARIOS, ScenarioContext, type Scenario } from './scenarios.ts';
import { formatTimeline, timelineOf } from './timeline.ts';

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const selected = values.only === undefined ? SCENARIOS : SCENARIOS.filter((scenario) => values.only!.split(',').includes(scenario.id));
if (selected.length === 0) {
  process.stderr.write(`--only ${values.only}: no such scenario (the scenarios are ${SCENARIOS.map((scenario) => scenario.id).join(', ')})\n`);
  process.exit(2);
}
/** The whole run, environment included, is bounded: CI must never hang on it. */
const DEADLINE_MS = 10 * 60_000;

interface Outcome {
  scenario: Scenario;
  status: 'passed' | 'failed';
  detail?: string;
  ms: number;
  context: ScenarioContext;
}

async function runScenario(env: Environment, scenario: Scenario): Promise<Outcome> {
  const context = new ScenarioContext(env);
  const started = Date.now();
  try {
    await scenario.run(context);
    return { scenario, status: 'passed', ms: Date.now() - started, context };
  } catch (error) {
    return { scenario, status: 'failed', detail: error instanceof Error ? error.message : String(error), ms: Date.now() - started, context };
  }
}

const started = Date.now();
let env: Environment | undefined;
let cleanUp: (() => Promise<void>) | undefined;
const interrupted = new AbortController();
let aborting: Promise<unknown> | undefined;

/**
 * Stops what the run started (the control plane's daemons are detached and would outlive it) and exits 1:
 * on the deadline, and on Ctrl-C or a SIGTERM from CI.
 */
function abort(why: string): void {
  process.stderr.write(`[e2e] FAILED: ${why}; stopping the control plane and the servers\n`);
  interrupted.abort();
  const giveUp = new Promise((resolve) => setTimeout(resolve, 30_000).unref());
  aborting = Promise.race([cleanUp?.(), giveUp]).finally(() => process.exit(1));
}
setTimeout(() => abort(`not finished within ${DEADLINE_MS / 60_000} minutes`), DEADLINE_MS).unref();
process.once('SIGINT', () => abort('interrupted'));
process.once('SIGTERM', () => abort('terminated'));

let failed = true;
try {
  env = await startEnvironment((close) => (cleanUp = close), interrupted.signal);
  const setupMs = Date.now() - started;
  for (const scenario of selected) for (const [name, spec] of Object.entries(scenario.policies)) await applyPolicy(env, name, spec);
  say(`environment ready in ${(setupMs / 1000).toFixed(1)} s; running scenarios ${selected.map((scenario) => scenario.id).join(', ')} side by side`);
  const outcomes = await Promise.all(selected.map((scenario) => runScenario(env!, scenario)));

  // Under the chart's RBAC, nothing the operator asked for may have been refused.
  const refused = env.operator.logs.filter((line) => /forbidden/i.test(JSON.stringify(line)));

  process.stdout.write('\n');
  for (const outcome of outcomes) {
    const label = outcome.status === 'passed' ? 'passed' : 'FAILED';
    process.stdout.write(`(${outcome.scenario.id}) ${outcome.scenario.title}: ${label} in ${(outcome.ms / 1000).toFixed(1)} s\n`);
    if (outcome.detail !== undefined) process.stdout.write(`    deviation: ${outcome.detail.split('\n').join('\n    ')}\n`);
    for (const record of outcome.context.records) {
      // Read again: a scenario that failed early left its records where they were then.
      await outcome.context.record(record.name).catch(() => undefined);
      record.timeline = record.uid === undefined ? [] : await timelineOf(env.database.url, record.uid);
      process.stdout.write(`  ${record.label}: FailureRecord ${record.name}, now ${record.phase ?? '(not found)'}\n`);
      for (const line of formatTimeline(record.timeline)) process.stdout.write(`${line}\n`);
    }
  }
  if (refused.length > 0) process.stdout.write(`\nFAILED: the operator was refused by the chart's RBAC:\n${refused.slice(0, 5).map((line) => JSON.stringify(line).slice(0, 600)).join('\n')}\n`);

  const count = (status: Outcome['status']): number => outcomes.filter((outcome) => outcome.status === status).length;
  failed = count('failed') > 0 || refused.length > 0;
  process.stdout.write(
    `\n[e2e] ${count('passed')} passed, ${count('failed')} failed; ` +
      `${(setupMs / 1000).toFixed(1)} s to set up, ${((Date.now() - started) / 1000).toFixed(1)} s in all\n`,
  );
  if (failed) process.stdout.write(`[e2e] operator's last output:\n${env.operator.tail(20).split('\n').map((line) => line.slice(0, 600)).join('\n')}\n`);
} catch (error) {
  process.stderr.write(`[e2e] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  await env?.close();
}
// An interrupted run exits once its cleanup is done, not before.
await aborting;
process.exit(failed ? 1 : 0);
