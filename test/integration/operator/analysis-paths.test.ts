import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNamespace, createObject, kube, pool, RECORDS, type Kube } from '../../support/kube.ts';
import { actionPath, cliPath, JOB_FACTS, type Outcome } from '../../support/analysis-paths.ts';
import { killAllOperators, startOperator, waitReady } from '../../support/operator-process.ts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.ts';
import { FAILURE_RECORD_FINALIZER } from '../../../src/api/failure-record.ts';
import { waitGated } from './fixtures.ts';

// Every example and fixture log through the three paths a user meets: `ci-remediator analyze` (the CLI),
// the action (its analysis, and the FailureRecord it builds), and the operator (that record created on a
// real control plane and reconciled by the operator binary). The category, risk, confidence, rule and key
// line must be the same; status.analysis.rules must hold the rules' own verdict.

const LOG_DIRS = [new URL('../../../examples/logs/', import.meta.url), new URL('../../fixtures/logs/', import.meta.url)];
const LOGS = LOG_DIRS.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => ({ name: `${dir.pathname.split('/').slice(-3, -1).join('/')}/${f}`, path: new URL(f, dir).pathname, text: readFileSync(new URL(f, dir), 'utf8') })));

let k: Kube;
let namespace: string;
let database: TestDatabase;
const operatorOutcomes = new Map<string, { outcome: Outcome; rules: unknown }>();
const cliOutcomes = new Map<string, Outcome>();
const actionOutcomes = new Map<string, Outcome>();

beforeAll(async () => {
  k = kube();
  namespace = await createNamespace(k, 'op-paths');
  database = await createTestDatabase();
  const operator = await startOperator({ kubeconfig: k.kubeconfig, namespaces: [namespace], databaseUrl: database.url, leaderElectionNamespace: namespace, identity: 'paths-operator' });
  await waitReady(operator);
  await pool(LOGS, 4, async ({ name, text }) => {
    cliOutcomes.set(name, await cliPath(text));
    const action = await actionPath(text, 'acme/paths');
    actionOutcomes.set(name, action.outcome);
    const recordName = `paths-${action.spec.workflow.runId}-1`;
    await createObject(k, RECORDS, namespace, {
      apiVersion: 'ci-remediator.dev/v1alpha1',
      kind: 'FailureRecord',
      metadata: { name: recordName, finalizers: [FAILURE_RECORD_FINALIZER] },
      spec: action.spec,
    });
    const record = await waitGated(k, namespace, recordName);
    const analysis = record.status?.analysis as { category: string; riskScore: number; confidence: number; rule?: string; rules?: unknown };
    const keyLine = (record.spec as typeof action.spec).failedJobs[0]!.keyLine ?? null;
    operatorOutcomes.set(name, {
      outcome: { category: analysis.category, riskScore: analysis.riskScore, confidence: analysis.confidence, rule: analysis.rule, keyLine },
      rules: analysis.rules,
    });
  });
}, 240_000);

afterAll(async () => {
  await killAllOperators();
  await database?.drop();
});

describe('one analysis, whichever way the log arrives', () => {
  it.each(LOGS.map((log) => [log.name]))('%s: the CLI, the action and the operator agree', (name) => {
    const cli = cliOutcomes.get(name)!;
    expect(actionOutcomes.get(name)).toEqual(cli);
    const operator = operatorOutcomes.get(name)!;
    expect(operator.outcome).toEqual(cli);
    // With the rules alone, the stored floor is the verdict itself.
    expect(operator.rules).toEqual({ category: cli.category, riskScore: cli.riskScore, confidence: cli.confidence, ...(cli.rule !== undefined && { rule: cli.rule }) });
  });

  it('the CLI binary prints the same for every log', async () => {
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync(process.execPath, ['bin/ci-remediator.js', 'analyze', '--json', '--job', JOB_FACTS.name, '--step', JOB_FACTS.failedStep, ...LOGS.map((log) => log.path)], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Outcome & { keyLine: Outcome['keyLine']; rules: { rule?: string } });
    expect(lines).toHaveLength(LOGS.length);
    lines.forEach((printed, i) => {
      const cli = cliOutcomes.get(LOGS[i]!.name)!;
      expect({ category: printed.category, riskScore: printed.riskScore, confidence: printed.confidence, rule: printed.rules.rule, keyLine: printed.keyLine }).toEqual(cli);
    });
  });
});
