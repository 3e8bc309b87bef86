import type { Category, Effort, RemediationAction } from './taxonomy.ts';

/** A proposal from the catalog; `rationale` says why this action fits this failure. */
export interface ProposedRemediation {
  action: RemediationAction;
  rationale: string;
}

/** What an analyzer concludes about one failed job. Every string in it derives from redacted text. */
export interface Analysis {
  analyzer: 'rules' | 'openai';
  category: Category;
  /** 0-100: how risky it is to act on this failure automatically. */
  riskScore: number;
  /** 0-1: how sure the analyzer is of the category. */
  confidence: number;
  effort: Effort;
  /** One line a person reads first. */
  summary: string;
  /** Why the analyzer concluded this (which rule, which evidence). */
  reasoning: string;
  /** Files and modules involved (from stack traces, compiler and linter diagnostics), bounded. */
  components: string[];
  /** Stable across runs of the same failure: numbers, hashes, temp paths, timestamps, durations normalized. */
  fingerprint: string;
  proposedRemediation: ProposedRemediation;
  /** Id of the signature rule that decided the category, when one did. */
  rule?: string;
}
