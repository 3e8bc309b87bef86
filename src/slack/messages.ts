import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { FailurePhase, FailureRecord } from '../api/failure-record.ts';
import { encodeButtonValue, recordDigest, type RecordWithUid } from './approval-digest.ts';

/**
 * Block Kit for every message the operator posts, typed with @slack/types. Pure: a record (and a notice)
 * in, `{ text, blocks }` out, so docs/slack.md shows exactly what these produce (test/unit/slack/messages
 * writes the examples) and the notifier only decides where and when.
 *
 * Everything shown comes from the record, whose log-derived text was redacted before it was stored; it is
 * still untrusted text, so it is escaped (no `<!channel>` or `<https://evil|innocent link>` from a log line)
 * and bounded to Block Kit's limits.
 */

export const APPROVE_ACTION_ID = 'ci_remediator_approve';
export const REJECT_ACTION_ID = 'ci_remediator_reject';

/** Block Kit limits: section text 3000, header 150, button text 75; we stay under them with room for markup. */
const SECTION_LIMIT = 2900;
const HEADER_LIMIT = 150;
const MAX_JOBS_SHOWN = 10;

export interface SlackMessage {
  /** The notification and screen-reader text; Slack shows it where blocks cannot be rendered. */
  text: string;
  blocks: KnownBlock[];
}

/** Slack's three control characters; everything else in mrkdwn is harmless once these are escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** Code spans cannot contain a backtick; a key line with one is shown with it replaced. */
function code(text: string): string {
  return `\`${escapeMrkdwn(text.replace(/`/g, "'")).replace(/\n/g, ' ')}\``;
}

function link(url: string, label: string): string {
  // A label cannot contain `|` or `>` (escaped above); the URL comes from the schema's http(s) pattern.
  return `<${url.replace(/[<>|\s]/g, '')}|${escapeMrkdwn(label).replace(/\|/g, '¦')}>`;
}

function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, SECTION_LIMIT) } };
}

function fields(pairs: readonly [string, string][]): SectionBlock {
  // At most 10 fields of 2000 characters each.
  return { type: 'section', fields: pairs.slice(0, 10).map(([label, value]) => ({ type: 'mrkdwn', text: truncate(`*${label}*\n${value}`, 1900) })) };
}

function context(text: string): ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(text, SECTION_LIMIT) }] };
}

function header(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, HEADER_LIMIT), emoji: true } };
}

/** `<!date^…>` renders in each reader's time zone; the fallback is UTC. */
export function slackDate(at: Date): string {
  return `<!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} {time}|${at.toISOString().replace('T', ' ').slice(0, 16)} UTC>`;
}

function repositoryUrl(record: FailureRecord): string {
  // https://github.com/acme/web/actions/runs/1 -> https://github.com/acme/web (GitHub Enterprise hosts too).
  const url = record.spec.workflow.url;
  const index = url.indexOf('/actions/');
  return index > 0 ? url.slice(0, index) : url;
}

const PHASE_LABEL: Readonly<Record<FailurePhase, string>> = {
  Pending: ':hourglass: Received',
  Analyzing: ':mag: Analyzing',
  Analyzed: ':mag: Analyzed',
  AwaitingApproval: ':raised_hand: Awaiting approval',
  AutoApproved: ':white_check_mark: Approved automatically',
  Approved: ':white_check_mark: Approved',
  Rejected: ':no_entry_sign: Rejected',
  Expired: ':alarm_clock: Approval expired',
  Blocked: ':no_entry: Blocked',
  Executing: ':gear: Remediating',
  Verifying: ':eyes: Verifying',
  Succeeded: ':large_green_circle: Fixed',
  Failed: ':red_circle: Remediation failed',
  RolledBack: ':rewind: Rolled back',
};

const DECISION_LABEL = { auto: 'automatic', approval: 'needs a person', blocked: 'blocked' } as const;

function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** One line naming the failure, for `text` fallbacks and replies. */
export function failureTitle(record: FailureRecord): string {
  const { repository, workflow, commit } = record.spec;
  return `${repository}: ${workflow.name} failed on ${commit.branch ?? shortSha(commit.sha)} (run ${workflow.runId}, attempt ${workflow.runAttempt})`;
}

function keyLine(record: FailureRecord): string | undefined {
  return record.spec.failedJobs.find((job) => job.keyLine !== undefined)?.keyLine?.text;
}

/**
 * The thread's parent: what failed, what the analysis says, and what the gate decided. Posted when the record
 * is analyzed (or first seen) and updated in place as it moves, so the channel shows one line per failure.
 */
export function parentMessage(record: FailureRecord): SlackMessage {
  const { spec, status } = record;
  const phase = status?.phase ?? 'Pending';
  const analysis = status?.analysis;
  const gate = status?.gate;
  const repo = repositoryUrl(record);
  const blocks: KnownBlock[] = [header(`${spec.repository}: ${spec.workflow.name} failed`)];
  const commit = `${link(`${repo}/commit/${spec.commit.sha}`, shortSha(spec.commit.sha))}${spec.commit.author === undefined ? '' : ` by ${escapeMrkdwn(spec.commit.author)}`}`;
  blocks.push(
    fields([
      ['Repository', link(repo, spec.repository)],
      ['Workflow', `${link(spec.workflow.url, spec.workflow.name)} (run ${spec.workflow.runId}, attempt ${spec.workflow.runAttempt})`],
      ['Branch', spec.commit.branch === undefined ? '_none_' : code(spec.commit.branch)],
      ['Commit', commit],
      ['Status', PHASE_LABEL[phase]],
      ...(analysis === undefined
        ? []
        : ([
            ['Category', code(analysis.category)],
            ['Risk / confidence', `${gate?.riskScore ?? analysis.riskScore}/100 · ${Math.round(analysis.confidence * 100)}%`],
          ] as [string, string][])),
    ]),
  );
  const jobs = spec.failedJobs.slice(0, MAX_JOBS_SHOWN).map((job) => `• ${link(job.url, job.name)}${job.failedStep === undefined ? '' : ` – step ${escapeMrkdwn(job.failedStep)}`} (${job.conclusion})`);
  if (spec.failedJobs.length > MAX_JOBS_SHOWN) jobs.push(`…and ${spec.failedJobs.length - MAX_JOBS_SHOWN} more`);
  blocks.push(section(`*Failed jobs*\n${jobs.join('\n')}`));
  const line = keyLine(record);
  if (line !== undefined) blocks.push(section(`*Key line*\n${code(truncate(line, 600))}`));
  if (analysis !== undefined && analysis.summary !== '') blocks.push(section(`*Analysis* (${analysis.analyzer})\n${escapeMrkdwn(analysis.summary)}`));
  if (gate !== undefined) {
    const reasons = gate.reasons.map((reason) => `• ${escapeMrkdwn(reason)}`).join('\n');
    blocks.push(section(`*Gate:* ${DECISION_LABEL[gate.decision]} under policy ${code(gate.policyName)}${reasons === '' ? '' : `\n${reasons}`}`));
  }
  blocks.push(context(`FailureRecord ${code(`${record.metadata.namespace ?? 'default'}/${record.metadata.name}`)}`));
  return { text: `${PHASE_LABEL[phase]}: ${failureTitle(record)}`, blocks };
}

function proposalText(record: FailureRecord): string {
  const proposal = record.status?.analysis?.proposedRemediation;
  if (proposal === undefined) return '_no remediation proposed_';
  const params = Object.entries(proposal.params ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${code(value)}`);
  return `${code(proposal.action)}${params.length === 0 ? '' : ` with ${params.join(', ')}`} on run ${link(record.spec.workflow.url, String(record.spec.workflow.runId))}, attempt ${record.spec.workflow.runAttempt}`;
}

/**
 * The approval card, a reply in the thread: exactly what will run, why a person must decide, and the two
 * buttons. Both buttons carry the record's digest; throws when the record has nothing to approve (a caller
 * bug: only AwaitingApproval records with a gate and a proposal get a card).
 */
export function approvalCard(record: RecordWithUid, options: { expiresAt?: Date } = {}): SlackMessage {
  const digest = recordDigest(record);
  if (digest === undefined) throw new TypeError(`FailureRecord ${record.metadata.name} has no proposal, gate or uid: nothing to approve`);
  const value = encodeButtonValue({ record: { namespace: record.metadata.namespace ?? 'default', name: record.metadata.name }, digest });
  const analysis = record.status?.analysis;
  const gate = record.status?.gate;
  const reasons = (gate?.reasons ?? []).map((reason) => `• ${escapeMrkdwn(reason)}`).join('\n');
  const line = keyLine(record);
  const approve: Button = { type: 'button', action_id: APPROVE_ACTION_ID, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value };
  const reject: Button = { type: 'button', action_id: REJECT_ACTION_ID, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value };
  const actions: ActionsBlock = { type: 'actions', block_id: 'ci_remediator_decision', elements: [approve, reject] };
  const blocks: KnownBlock[] = [
    section(`:raised_hand: *Approval needed*\n*Will run:* ${proposalText(record)}`),
    section(`*Why a person must decide*\n${reasons === '' ? '_the policy asks for approval_' : reasons}`),
    fields([
      ['Risk', `${gate?.riskScore ?? analysis?.riskScore ?? '?'}/100 (automatic below ${gate?.threshold ?? '?'})`],
      ['Confidence', analysis === undefined ? '?' : `${Math.round(analysis.confidence * 100)}%`],
    ]),
    ...(line === undefined ? [] : [section(`*Key line*\n${code(truncate(line, 600))}`)]),
    ...injectionBlocks(record),
    actions,
    context(options.expiresAt === undefined ? 'Only the policy’s approvers can decide.' : `Only the policy’s approvers can decide. Expires ${slackDate(options.expiresAt)}.`),
  ];
  return { text: `Approval needed: ${proposalText(record).replace(/[`*_]/g, '')} (${failureTitle(record)})`, blocks };
}

/** At most this many suspected-injection spans on a card; the rest are counted. */
const MAX_CARD_SPANS = 5;

/**
 * Where the log read like instructions to a model: the approver sees the spans (already redacted and bounded
 * in status) before deciding, since that is why a person is asked.
 */
function injectionBlocks(record: FailureRecord): KnownBlock[] {
  const analysis = record.status?.analysis;
  if (analysis?.injectionSuspected !== true) return [];
  const spans = analysis.injectionSpans ?? [];
  const shown = spans.slice(0, MAX_CARD_SPANS).map((span) => `• ${escapeMrkdwn(span.source)}${span.line > 0 ? ` line ${span.line}` : ''} (${escapeMrkdwn(span.kind)}): ${code(truncate(span.excerpt, 200))}`);
  const more = spans.length > MAX_CARD_SPANS ? [`…and ${spans.length - MAX_CARD_SPANS} more`] : [];
  const body = shown.length === 0 ? '_the log read like instructions to a model_' : [...shown, ...more].join('\n');
  return [section(`:warning: *Suspected prompt injection*: the model's answer was not trusted to decide\n${body}`)];
}

export type Decision = 'approved' | 'rejected' | 'expired';

/**
 * What replaces the approval card once it is decided: the same "what would run" line, who decided and when,
 * and no buttons, so nobody can click a dead one.
 */
export function decidedCard(record: FailureRecord, decision: { decision: Decision; by: string; at: Date }): SlackMessage {
  const who = decision.decision === 'expired' ? 'nobody decided in time' : `by ${mentionActor(decision.by)}`;
  const icon = decision.decision === 'approved' ? ':white_check_mark:' : decision.decision === 'rejected' ? ':no_entry_sign:' : ':alarm_clock:';
  const word = decision.decision === 'approved' ? 'Approved' : decision.decision === 'rejected' ? 'Rejected' : 'Expired';
  return {
    text: `${word} ${who}: ${failureTitle(record)}`,
    blocks: [section(`${icon} *${word}* ${who} ${slackDate(decision.at)}\n*Would run:* ${proposalText(record)}`)],
  };
}

/** A Slack user id as a mention; `system`, `operator` and anything else as plain text. */
export function mentionActor(actor: string): string {
  return /^[UW][A-Z0-9]{2,20}$/.test(actor) ? `<@${actor}>` : escapeMrkdwn(actor);
}

/**
 * A reply in the thread for a later step (execution, verification, result, rollback, re-gate). `message` is
 * the transition's own message (the condition's), already free of secrets.
 */
export function stepReply(record: FailureRecord, step: { to: FailurePhase; message: string; actor: string; at: Date }): SlackMessage {
  const execution = record.status?.execution;
  const lines = [`${PHASE_LABEL[step.to]} ${slackDate(step.at)}${step.actor === 'operator' ? '' : ` by ${mentionActor(step.actor)}`}`];
  if (step.message !== '') lines.push(escapeMrkdwn(truncate(step.message, 1500)));
  if (step.to === 'Verifying' && execution?.newRunAttempt !== undefined) {
    lines.push(`Watching ${link(record.spec.workflow.url, `attempt ${execution.newRunAttempt}`)}.`);
  }
  if ((step.to === 'Succeeded' || step.to === 'Failed') && execution?.verification?.result !== undefined) {
    lines.push(`Verification: ${execution.verification.result}${execution.verification.conclusion === undefined ? '' : ` (${escapeMrkdwn(execution.verification.conclusion)})`}`);
  }
  if (step.to === 'RolledBack' && execution?.rollback?.action !== undefined) lines.push(`Rollback: ${code(execution.rollback.action)}`);
  return { text: `${PHASE_LABEL[step.to].replace(/^:[a-z_]+: /, '')}: ${failureTitle(record)}`, blocks: [section(lines.join('\n'))] };
}

/** A later record of the same failure, posted into the first record's thread instead of a new one. */
export function seenAgainReply(record: FailureRecord): SlackMessage {
  const { workflow } = record.spec;
  const text = `:repeat: Seen again: ${escapeMrkdwn(record.spec.repository)} run ${link(workflow.url, String(workflow.runId))} (attempt ${workflow.runAttempt}) on ${code(record.spec.commit.branch ?? shortSha(record.spec.commit.sha))}`;
  return { text: `Seen again: run ${workflow.runId} (${record.spec.repository})`, blocks: [section(text)] };
}

/**
 * One message for the same failure in many repositories within minutes (a registry or GitHub outage),
 * updated in place as repositories join, instead of a thread per repository.
 */
export function outageSummary(record: FailureRecord, repositories: readonly string[], since: Date): SlackMessage {
  const category = record.status?.analysis?.category;
  const line = keyLine(record);
  const shown = repositories.slice(0, 20).map((repo) => code(repo));
  if (repositories.length > 20) shown.push(`and ${repositories.length - 20} more`);
  const text = `:rotating_light: *The same failure in ${repositories.length} repositories* since ${slackDate(since)}${category === undefined ? '' : ` (${code(category)})`}: likely an outage, not the code.\n${shown.join(', ')}`;
  const blocks: KnownBlock[] = [section(text)];
  if (line !== undefined) blocks.push(section(`*Key line*\n${code(truncate(line, 600))}`));
  blocks.push(context(`Fingerprint ${code(record.spec.fingerprint)}. Each repository's record replies in this thread.`));
  return { text: `The same failure in ${repositories.length} repositories: ${repositories.slice(0, 5).join(', ')}${repositories.length > 5 ? ', …' : ''}`, blocks };
}

/** The escalation posted when a request expired: to the escalation channel and into the thread. */
export function escalationMessage(record: FailureRecord, options: { threadLink?: string } = {}): SlackMessage {
  const text = `:rotating_light: *Approval expired* for ${escapeMrkdwn(failureTitle(record))}: nobody decided on ${proposalText(record)}.${options.threadLink === undefined ? '' : ` ${link(options.threadLink, 'Open the thread')}`}`;
  return { text: `Approval expired: ${failureTitle(record)}`, blocks: [section(text)] };
}

/** Ephemeral answer to a refused click: only the clicker sees it. */
export function refusalMessage(sentence: string): SlackMessage {
  return { text: sentence, blocks: [section(`:no_entry_sign: ${escapeMrkdwn(sentence)}`)] };
}
