import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The operator's Prometheus metrics, on its own registry (so tests can create several operators in one
 * process). Gauges that describe state (queue depth, records per phase, leadership) are computed when
 * scraped from the sources of truth, so they cannot drift from them.
 */
export interface OperatorMetrics {
  registry: Registry;
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileDuration: Histogram<'controller'>;
  /** Remediations that reached an end, by catalog action and result (succeeded, failed, inconclusive, refused, rolled_back). */
  remediations: Counter<'action' | 'result'>;
  /** FailureRecord phase changes written (audit row and status), by phase reached: one per step of the lifecycle. */
  transitions: Counter<'to'>;
  /** Analyses that ended, by result (ok, failed, timeout), and how long they took. */
  analyses: Counter<'result'>;
  analysisDuration: Histogram;
  /** From a record's creation to its gate decision, by decision (auto, approval, blocked). */
  decisionSeconds: Histogram<'decision'>;
  /** From the failure (spec.detectedAt) to the remediation verified green. */
  timeToGreenSeconds: Histogram;
  /** The effective risk the gate decided on, once per gated record. */
  riskScore: Histogram;
  /** Approval requests that expired unanswered. */
  approvalsExpired: Counter;
  /** GitHub API answers by HTTP status (`network` when none came), retries and token exchanges included. */
  githubRequests: Counter<'code'>;
  /** Model analysis (src/analysis/model/): tokens by model and direction (input, output), as the endpoint counted them. */
  modelTokens: Counter<'model' | 'direction'>;
  /** Estimated USD spent on model calls, by model (list prices in src/analysis/model/token-budget.ts). */
  modelCost: Counter<'model'>;
  /** Model verdicts not used (the rules verdict stood), by the reason on the record's ModelAnalysis condition. */
  modelFallbacks: Counter<'reason'>;
  /** 1 while a model budget is used up (budget daily with its policy, or monthly), else 0. */
  modelBudgetExhausted: Gauge<'budget' | 'policy'>;
  /** Sources sampled at scrape time. */
  setQueueDepth(source: () => Record<string, number>): void;
  setRecordPhases(source: () => Record<string, number>): void;
  setLeader(source: () => boolean): void;
  /** Whether the audit database answers; asked at scrape time (an operator without a store waits, so say it). */
  setStoreUp(source: () => Promise<boolean>): void;
}

export function createMetrics(): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ci_remediator_' });
  let queueDepth: () => Record<string, number> = () => ({});
  let phases: () => Record<string, number> = () => ({});
  let leader: () => boolean = () => false;
  let storeUp: () => Promise<boolean> = async () => false;

  const reconcileTotal = new Counter({
    name: 'ci_remediator_reconcile_total',
    help: 'Reconciles, by controller and result (success, requeue, conflict, stalled, waiting, error).',
    labelNames: ['controller', 'result'] as const,
    registers: [registry],
  });
  const reconcileErrors = new Counter({
    name: 'ci_remediator_reconcile_errors_total',
    help: 'Reconciles that ended in an error and were retried with backoff.',
    labelNames: ['controller'] as const,
    registers: [registry],
  });
  const reconcileDuration = new Histogram({
    name: 'ci_remediator_reconcile_duration_seconds',
    help: 'Time spent in one reconcile.',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const remediations = new Counter({
    name: 'ci_remediator_remediations_total',
    help: 'Remediations that reached an end, by catalog action and result (succeeded, failed, inconclusive, refused, rolled_back).',
    labelNames: ['action', 'result'] as const,
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'ci_remediator_transitions_total',
    help: 'FailureRecord phase changes written (audit row, then status), by the phase reached.',
    labelNames: ['to'] as const,
    registers: [registry],
  });
  const analyses = new Counter({
    name: 'ci_remediator_analyses_total',
    help: 'Analyses run on the analysis pool, by result (ok, failed, timeout).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const analysisDuration = new Histogram({
    name: 'ci_remediator_analysis_duration_seconds',
    help: 'Time one analysis took on the analysis pool (to its deadline at most).',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const decisionSeconds = new Histogram({
    name: 'ci_remediator_decision_seconds',
    help: "From a FailureRecord's creation to its gate decision, by decision (auto, approval, blocked).",
    labelNames: ['decision'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const timeToGreenSeconds = new Histogram({
    name: 'ci_remediator_time_to_green_seconds',
    help: 'From the failure (spec.detectedAt) to its remediation verified green.',
    buckets: [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400],
    registers: [registry],
  });
  const riskScore = new Histogram({
    name: 'ci_remediator_risk_score',
    help: 'The effective risk (0-100) the gate decided on, once per gated record.',
    buckets: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
    registers: [registry],
  });
  const approvalsExpired = new Counter({
    name: 'ci_remediator_approvals_expired_total',
    help: 'Approval requests that expired unanswered.',
    registers: [registry],
  });
  const githubRequests = new Counter({
    name: 'ci_remediator_github_requests_total',
    help: 'GitHub API answers by HTTP status (network: no answer), retries and token exchanges included.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'ci_remediator_store_up',
    help: '1 while the audit database answers, else 0 (records wait for it: no transition without its audit row).',
    registers: [registry],
    async collect() {
      this.set((await storeUp()) ? 1 : 0);
    },
  });
  const modelTokens = new Counter({
    name: 'ci_remediator_model_tokens_total',
    help: 'Tokens of model analysis, by model and direction (input, output), as the endpoint reported them.',
    labelNames: ['model', 'direction'] as const,
    registers: [registry],
  });
  const modelCost = new Counter({
    name: 'ci_remediator_model_cost_usd_total',
    help: 'Estimated cost of model analysis in USD, by model (list prices; 0 for a model without one).',
    labelNames: ['model'] as const,
    registers: [registry],
  });
  const modelFallbacks = new Counter({
    name: 'ci_remediator_model_fallbacks_total',
    help: "Model verdicts not used, the rules verdict standing instead, by reason (the ModelAnalysis condition's reason).",
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const modelBudgetExhausted = new Gauge({
    name: 'ci_remediator_model_budget_exhausted',
    help: "1 while a model token budget is used up (budget=daily with the policy's name, or budget=monthly): records are analysed by the rules only.",
    labelNames: ['budget', 'policy'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'ci_remediator_workqueue_depth',
    help: 'Keys waiting in the work queue.',
    labelNames: ['controller'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [controller, depth] of Object.entries(queueDepth())) this.set({ controller }, depth);
    },
  });
  new Gauge({
    name: 'ci_remediator_failure_records',
    help: 'FailureRecords in the cache, by phase.',
    labelNames: ['phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [phase, count] of Object.entries(phases())) this.set({ phase }, count);
    },
  });
  new Gauge({
    name: 'ci_remediator_leader',
    help: '1 while this replica holds the leader Lease (or runs without leader election), else 0.',
    registers: [registry],
    collect() {
      this.set(leader() ? 1 : 0);
    },
  });

  return {
    registry,
    reconcileTotal,
    reconcileErrors,
    reconcileDuration,
    remediations,
    transitions,
    analyses,
    analysisDuration,
    decisionSeconds,
    timeToGreenSeconds,
    riskScore,
    approvalsExpired,
    githubRequests,
    modelTokens,
    modelCost,
    modelFallbacks,
    modelBudgetExhausted,
    setQueueDepth: (source) => {
      queueDepth = source;
    },
    setRecordPhases: (source) => {
      phases = source;
    },
    setLeader: (source) => {
      leader = source;
    },
    setStoreUp: (source) => {
      storeUp = source;
    },
  };
}
