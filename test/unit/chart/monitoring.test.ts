import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';

// The Grafana dashboard and the alerts query the operator's metrics by name. A renamed or removed metric would
// leave a panel empty and an alert silent without anyone noticing; this keeps every name they use tied to a
// metric the operator registers, or to the short list below of metrics that other work is adding.

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CHART = join(ROOT, 'charts', 'ci-remediator');

/**
 * Used by the dashboard or the alerts before the operator exports them (docs/operations.md, "Metrics"). When
 * one lands, this test fails until it is removed from here, so the list never outlives its reason.
 */
const PLANNED = [
  'ci_remediator_decision_seconds',
  'ci_remediator_time_to_green_seconds',
  'ci_remediator_risk_score',
  'ci_remediator_approvals_expired_total',
  'ci_remediator_model_tokens_total',
  'ci_remediator_model_cost_usd_total',
  'ci_remediator_model_budget_exhausted',
  'ci_remediator_github_requests_total',
  'ci_remediator_store_up',
];

/** Metric names the operator registers (`name: 'ci_remediator_…'` in any source file under operator/ and src/). */
function registered(): Set<string> {
  const names = new Set<string>();
  for (const directory of ['operator', 'src']) {
    for (const file of readdirSync(join(ROOT, directory), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      for (const match of readFileSync(join(ROOT, directory, file), 'utf8').matchAll(/name: '(ci_remediator_[a-z_]+)'/g)) names.add(match[1]!);
    }
  }
  return names;
}

/** Metric names in PromQL text, histogram series folded into their metric. */
function queried(text: string): Set<string> {
  return new Set([...text.matchAll(/\b(ci_remediator_[a-z_]+)/g)].map((match) => match[1]!.replace(/_(bucket|sum|count)$/, '')));
}

const dashboard = JSON.parse(readFileSync(join(CHART, 'files', 'dashboards', 'ci-remediator.json'), 'utf8')) as {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
};
const alerts = parse(readFileSync(join(CHART, 'files', 'alerts.yaml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
const exported = registered();

describe('monitoring that ships with the chart', () => {
  it('queries only metrics the operator exports, or the planned ones', () => {
    const used = new Set([...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)), ...alerts.groups.flatMap((group) => group.rules.map((rule) => rule.expr))].flatMap((expr) => [...queried(expr)]));
    const unknown = [...used].filter((name) => !exported.has(name) && !PLANNED.includes(name));
    expect(unknown).toEqual([]);
    // Most of what the dashboard shows exists today.
    expect([...used].filter((name) => exported.has(name)).length).toBeGreaterThanOrEqual(6);
  });

  it('lists as planned only metrics that do not exist yet', () => {
    expect(PLANNED.filter((name) => exported.has(name))).toEqual([]);
  });

  it('has the alerts the runbook describes', () => {
    const names = alerts.groups.flatMap((group) => group.rules.map((rule) => rule.alert));
    expect(names).toEqual(
      expect.arrayContaining([
        'CiRemediatorDown',
        'CiRemediatorNoLeader',
        'CiRemediatorReconcileErrors',
        'CiRemediatorDatabaseUnreachable',
        'CiRemediatorApprovalsExpiring',
        'CiRemediatorModelBudgetExhausted',
      ]),
    );
    const runbook = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    for (const name of names) expect(runbook).toContain(`\`${name}\``);
  });

  it('has a panel for each thing an operator of the product watches', () => {
    const titles = dashboard.panels.map((panel) => panel.title);
    for (const wanted of ['Records by phase', 'Time to decision', 'Time to green', 'success rate', 'Risk score', 'Approvals waiting', 'Approvals expired', 'Model tokens', 'Model cost', 'Slack and GitHub errors']) {
      expect(titles.some((title) => title.includes(wanted))).toBe(true);
    }
  });
});
