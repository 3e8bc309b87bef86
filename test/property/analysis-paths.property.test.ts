import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { actionPath, cliPath, operatorPurePath } from '../support/analysis-paths.ts';

// The CLI, the action and the operator run one analysis pipeline; whatever the log, a user sees the same
// category, risk, confidence, rule and key line whichever way it arrived. The operator's path here is its
// pure adapter on the record the action builds; test/integration/operator/analysis-paths.test.ts reconciles
// the same records on a real control plane.

const LOG_DIRS = [new URL('../../examples/logs/', import.meta.url), new URL('../fixtures/logs/', import.meta.url)];
const LOGS = LOG_DIRS.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => ({ name: `${dir.pathname.split('/').slice(-3, -1).join('/')}/${f}`, path: new URL(f, dir).pathname, text: readFileSync(new URL(f, dir), 'utf8') })));

/** Lines the signature catalog knows, from different categories, so that windows compete and causes beat symptoms. */
const FAILURE_LINES = [
  'npm error code ECONNRESET',
  'npm error network request to https://registry.npmjs.org/left-pad failed, reason: socket hang up',
  'FAIL src/cart/cart.test.ts',
  '  ● Cart › applies the discount once',
  "src/main.go:12:5: undefined: fooBar",
  "error TS2322: Type 'string' is not assignable to type 'number'.",
  'Could not find artifact org.example:lib:jar:1.2.3 in central (https://repo1.maven.org/maven2/)',
  'toomanyrequests: You have reached your pull rate limit.',
  '##[error]The job running on runner GitHub Actions 2 has exceeded the maximum execution time of 360 minutes.',
  '##[error]The operation was canceled.',
  '##[error]Process completed with exit code 1.',
  'Error: connect ETIMEDOUT 140.82.112.3:443',
  'ERROR: No matching distribution found for requests==9.9.9',
  '  1:10  error  Unexpected console statement  no-console',
  'The runner has received a shutdown signal.',
  'Error: listen EADDRINUSE: address already in use :::3000',
];
const NOISE = fc.oneof(
  fc.constantFrom('##[group]Run npm ci', '##[endgroup]', 'added 512 packages in 9s', 'ok', '', 'Downloading dependencies...'),
  fc.stringMatching(/^[a-z ]{0,60}$/),
  fc.nat(99_999).map((n) => `compiling module ${n} ok`),
);
/** Blocks of noise (long enough to separate windows, so the record's excerpt has gaps) and failure lines. */
const LOG = fc
  .array(fc.oneof({ weight: 2, arbitrary: fc.array(NOISE, { minLength: 1, maxLength: 60 }) }, { weight: 1, arbitrary: fc.constantFrom(...FAILURE_LINES).map((line) => [line]) }), {
    minLength: 1,
    maxLength: 20,
  })
  .map((blocks) => blocks.flat())
  .map((lines) => lines.map((line, i) => (i % 3 === 0 ? `2024-05-01T12:00:${String(i % 60).padStart(2, '0')}.0000000Z ${line}` : line)).join('\n') + '\n');

async function expectPathsAgree(log: string): Promise<void> {
  const cli = await cliPath(log);
  const action = await actionPath(log);
  const operator = await operatorPurePath(action.spec);
  expect(action.outcome).toEqual(cli);
  expect(operator).toEqual(cli);
}

describe('the CLI, the action and the operator agree', () => {
  it.each(LOGS.map((log) => [log.name, log.text]))('on %s', async (_name, text) => {
    await expectPathsAgree(text);
  });

  it('on generated logs, with gaps between the excerpt windows', async () => {
    await fc.assert(fc.asyncProperty(LOG, expectPathsAgree), { numRuns: 150 });
  });
});
