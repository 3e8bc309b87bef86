import type { WebClient } from '@slack/web-api';
import type { PolicyApproval } from '../api/remediation-policy.ts';
import type { RefusalReason } from './refusals.ts';

/**
 * Who may decide: the clicking Slack user is in `approval.approvers.users`, or a member of one of its
 * `userGroups` (asked from Slack with usergroups.users.list, cached for a short while so a burst of clicks
 * costs one call per group, and so a person removed from a group loses the right within that while); with
 * `requireDistinctApprover`, they are not the author of the failing commit.
 *
 * Who counts as the author (docs/slack.md): the commit's GitHub login (`spec.commit.author`) against, in
 * order, the policy's `approval.approvers.githubLogins[<Slack user id>]`, the login in a GitHub noreply
 * address on the Slack profile (`12345+octocat@users.noreply.github.com`), and the Slack username or display
 * name. Logins compare case-insensitively, as GitHub's do.
 */

export const GROUP_CACHE_MS = 60_000;

export type ApproverVerdict = { ok: true } | { ok: false; reason: Extract<RefusalReason, 'not-an-approver' | 'author-cannot-approve'>; author?: string };

interface Cached<T> {
  value: T;
  until: number;
}

export interface ApproverDirectoryOptions {
  cacheMs?: number;
  now?: () => number;
}

/** Slack lookups for approver checks, with a short cache. One per operator process. */
export class ApproverDirectory {
  readonly #client: WebClient;
  readonly #cacheMs: number;
  readonly #now: () => number;
  readonly #groups = new Map<string, Cached<ReadonlySet<string>>>();
  readonly #users = new Map<string, Cached<readonly string[]>>();

  constructor(client: WebClient, options: ApproverDirectoryOptions = {}) {
    this.#client = client;
    this.#cacheMs = options.cacheMs ?? GROUP_CACHE_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Members of a user group. Throws the web client's error when Slack cannot say (the click is then refused as unavailable). */
  async groupMembers(groupId: string): Promise<ReadonlySet<string>> {
    const cached = this.#groups.get(groupId);
    if (cached !== undefined && cached.until > this.#now()) return cached.value;
    const answer = await this.#client.usergroups.users.list({ usergroup: groupId });
    const members: ReadonlySet<string> = new Set(answer.users ?? []);
    this.#groups.set(groupId, { value: members, until: this.#now() + this.#cacheMs });
    return members;
  }

  /** The GitHub logins a Slack user may be, from their profile (lower case; may be empty). */
  async profileLogins(userId: string): Promise<readonly string[]> {
    const cached = this.#users.get(userId);
    if (cached !== undefined && cached.until > this.#now()) return cached.value;
    const answer = await this.#client.users.info({ user: userId });
    const user = answer.user;
    const logins = new Set<string>();
    const email = user?.profile?.email;
    const noreply = email === undefined ? null : /^(?:\d+\+)?([A-Za-z0-9-]+)@users\.noreply\.github\.com$/i.exec(email);
    if (noreply !== null && noreply[1] !== undefined) logins.add(noreply[1].toLowerCase());
    for (const name of [user?.name, user?.profile?.display_name]) {
      if (name !== undefined && name !== '') logins.add(name.toLowerCase());
    }
    const value = [...logins];
    this.#users.set(userId, { value, until: this.#now() + this.#cacheMs });
    return value;
  }
}

/** Checks the person; Slack errors propagate (the caller refuses the click as `unavailable`, never accepts it). */
export async function checkApprover(input: {
  userId: string;
  approval: Pick<PolicyApproval, 'approvers' | 'requireDistinctApprover'>;
  commitAuthor: string | undefined;
  directory: ApproverDirectory;
}): Promise<ApproverVerdict> {
  const { userId, approval, directory } = input;
  let allowed = approval.approvers.users.includes(userId);
  for (const group of approval.approvers.userGroups) {
    if (allowed) break;
    allowed = (await directory.groupMembers(group)).has(userId);
  }
  if (!allowed) return { ok: false, reason: 'not-an-approver' };
  if (approval.requireDistinctApprover && input.commitAuthor !== undefined) {
    const author = input.commitAuthor.toLowerCase();
    const mapped = approval.approvers.githubLogins?.[userId];
    const logins = mapped !== undefined ? [mapped.toLowerCase()] : await directory.profileLogins(userId);
    if (logins.includes(author)) return { ok: false, reason: 'author-cannot-approve', author: input.commitAuthor };
  }
  return { ok: true };
}
