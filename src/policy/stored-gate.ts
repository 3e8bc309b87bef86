import type { AnalysisStatus } from '../api/failure-record.ts';
import { gate, type GateInput, type GateResult } from './gate.ts';

/**
 * The gate of an analysis as status stores it, for the first gate and for every re-gate when a policy
 * changes. The floor is the rules verdict stored beside the merged one (`status.analysis.rules`), never the
 * merged verdict's own risk: once a model's verdict is the analysis, taking its score as the floor would let
 * a re-gate lower risk below the rules. Records analysed before `rules` existed were analysed by the rules
 * alone, so their own risk is the rules' (`analyzer: rules`).
 */
export function storedRulesFloor(analysis: Pick<AnalysisStatus, 'analyzer' | 'riskScore' | 'rules'>): number {
  if (analysis.rules !== undefined) return analysis.rules.riskScore;
  // A model's verdict without its rules floor cannot be trusted low: count it as the worst case.
  return analysis.analyzer === 'rules' ? analysis.riskScore : 100;
}

export interface StoredGateInput {
  analysis: AnalysisStatus;
  repository: string;
  changedFiles?: readonly string[];
  policy: GateInput['policy'];
}

export function gateStoredAnalysis(input: StoredGateInput): GateResult {
  const { analysis } = input;
  return gate({
    analysis: {
      category: analysis.category,
      riskScore: analysis.riskScore,
      components: analysis.components,
      proposedRemediation: { action: analysis.proposedRemediation.action, rationale: analysis.proposedRemediation.rationale },
      injectionSuspected: analysis.injectionSuspected,
      // What the merge of a model's verdict forced (a category disagreement): a re-gate keeps forcing it.
      ...(analysis.approvalReasons !== undefined && { approvalReasons: analysis.approvalReasons }),
    },
    rulesFloor: storedRulesFloor(analysis),
    repository: input.repository,
    ...(input.changedFiles !== undefined && { changedFiles: [...input.changedFiles] }),
    policy: input.policy,
  });
}
