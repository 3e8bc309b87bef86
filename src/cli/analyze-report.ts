import { rulesFloorOf } from '../analysis/rules.ts';
import type { LogReport } from '../report/log-report.ts';
import { cacheKeyPrefixOf } from '../remediation/cache-key-prefix.ts';
import { CACHE_KEY_PREFIX_PARAM, CATALOG } from '../remediation/catalog.ts';
import type { Paint } from './style.ts';

/** The key prefix clear-caches would delete by, as the operator derives it (operator/controllers/analyze-record.ts). */
function keyPrefix(report: LogReport): string | undefined {
  return CATALOG[report.analysis.proposedRemediation.action].clearsCaches ? cacheKeyPrefixOf(report.cacheKeys) : undefined;
}

/** The JSON contract of `analyze --json`: one object per input file, one per line. */
export function reportJson(file: string, report: LogReport): Record<string, unknown> {
  const { analysis } = report;
  return {
    file,
    category: analysis.category,
    riskScore: analysis.riskScore,
    confidence: analysis.confidence,
    effort: analysis.effort,
    summary: analysis.summary,
    keyLine: report.keyLine,
    excerpts: report.excerpts,
    components: analysis.components,
    fingerprint: analysis.fingerprint,
    proposedRemediation: proposal(report),
    gate: { decision: report.gate.decision, reasons: report.gate.reasons, policy: report.gate.policy },
    redactions: report.redactions,
    analyzer: analysis.analyzer,
    // The rules analyzer's own verdict, beside the one above (they differ once a model analyses too).
    rules: rulesFloorOf(report.rules),
  };
}

function proposal(report: LogReport): Record<string, unknown> {
  const prefix = keyPrefix(report);
  return { ...report.analysis.proposedRemediation, ...(prefix !== undefined && { params: { [CACHE_KEY_PREFIX_PARAM]: prefix } }) };
}

const DECISION_STYLE = { auto: 'green', approval: 'yellow', blocked: 'red' } as const;

/** A terminal report for people; the same facts as the JSON, in reading order. */
export function reportText(file: string, report: LogReport, paint: Paint): string {
  const { analysis, gate } = report;
  const label = (name: string) => paint('dim', name.padEnd(12));
  const out: string[] = [];
  out.push(`${paint('bold', file)}  ${paint('dim', `(${report.stats.lines} lines)`)}`);
  out.push(
    `${label('Category')}${paint(['bold', 'cyan'], analysis.category)}  ` +
      paint('dim', `confidence ${analysis.confidence.toFixed(2)}${analysis.rule ? `, rule ${analysis.rule}` : ''}`),
  );
  out.push(`${label('Reason')}${analysis.summary}`);
  if (report.keyLine) out.push(`${label('Key line')}${paint('dim', `L${report.keyLine.line}`)}  ${report.keyLine.text}`);
  out.push(`${label('Risk')}${analysis.riskScore}/100    ${paint('dim', 'effort')} ${analysis.effort}`);
  if (analysis.components.length > 0) out.push(`${label('Components')}${analysis.components.join(', ')}`);
  out.push(`${label('Remediation')}${paint('bold', analysis.proposedRemediation.action)}: ${analysis.proposedRemediation.rationale}`);
  const prefix = keyPrefix(report);
  if (prefix !== undefined) out.push(`${' '.repeat(12)}${paint('dim', 'caches whose key starts with')} ${prefix}`);
  out.push(
    `${label('Gate')}${paint(['bold', DECISION_STYLE[gate.decision]], gate.decision.toUpperCase())} ` +
      paint('dim', `under policy '${gate.policy}' (risk ${gate.riskScore}, threshold ${gate.threshold})`),
  );
  for (const reason of gate.reasons) out.push(`${' '.repeat(12)}- ${reason}`);
  const redactions = Object.entries(report.redactions);
  if (redactions.length > 0) {
    out.push(`${label('Redacted')}${redactions.map(([type, n]) => `${type} x${n}`).join(', ')}`);
  }
  out.push(`${label('Fingerprint')}${paint('dim', analysis.fingerprint)}`);
  if (report.excerpts.length > 0) out.push(label('Excerpt'));
  const width = String(report.excerpts.at(-1)?.endLine ?? 0).length;
  report.excerpts.forEach((excerpt, index) => {
    if (index > 0) out.push(paint('dim', `${' '.repeat(width + 2)}...`));
    excerpt.text.split('\n').forEach((text, offset) => {
      const line = excerpt.startLine + offset;
      const isKey = report.keyLine?.line === line;
      const gutter = `${isKey ? '>' : ' '} ${String(line).padStart(width)} | `;
      out.push(isKey ? paint('red', gutter + text) : paint('dim', gutter) + text);
    });
  });
  return out.join('\n') + '\n';
}
