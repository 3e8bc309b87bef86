import { z } from 'zod';
import { Category, Effort } from '../taxonomy.ts';

/**
 * What the model must answer, as the structured-output schema it is given. `action` is a plain string on
 * purpose: a model that proposes something outside the catalog is not a schema error to retry but a fact
 * the merge rules record ("replaced by the rules' action"), see src/analysis/verdict-merge.ts.
 */
export const ModelVerdict = z
  .strictObject({
    category: Category.describe('One category of the fixed taxonomy'),
    riskScore: z.number().int().min(0).max(100).describe('0-100: how risky acting automatically on this failure is'),
    confidence: z.number().min(0).max(1).describe('0-1: how sure you are of the category'),
    effort: Effort,
    components: z.array(z.string().min(1).max(300)).max(20).describe('Files and modules involved'),
    summary: z.string().min(1).max(200).describe('One line a person reads first'),
    reasoning: z.string().min(1).max(2000).describe('Why, citing the evidence'),
    proposedRemediation: z.strictObject({
      action: z.string().min(1).max(64).describe('One action of the catalog'),
      params: z.record(z.string(), z.union([z.string().max(512), z.number(), z.boolean()])).default({}),
      rationale: z.string().min(1).max(1000),
    }),
    evidence: z
      .array(z.string().min(1).max(500))
      .min(1)
      .max(10)
      .describe('Log lines the verdict relies on, copied verbatim from what you were shown (without line numbers)'),
  })
  .describe('The verdict on one CI failure');
export type ModelVerdict = z.infer<typeof ModelVerdict>;

/** Evidence shorter than this could be found anywhere ("error"), so it proves nothing. */
const MIN_EVIDENCE = 8;
/** `   123 | text` or `123: text`, as the excerpt and the log tool number their lines. */
const LINE_NUMBER_PREFIX = /^\s*(?:L)?\d+\s*[|:]\s?/;

/**
 * The evidence lines not found verbatim in what the model was shown. A verdict citing any line it never saw
 * is discarded: a model that invents evidence has invented the rest too.
 */
export function unseenEvidence(evidence: readonly string[], shown: readonly string[]): string[] {
  const haystack = shown.join('\n');
  return evidence.filter((line) => {
    const cited = line.replace(LINE_NUMBER_PREFIX, '').trim();
    return cited.length < MIN_EVIDENCE || !haystack.includes(cited);
  });
}
