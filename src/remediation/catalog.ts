import type { RemediationAction } from '../analysis/taxonomy.ts';

/**
 * What each catalog action does, as data: the executor and the decisions in this directory read these
 * flags instead of comparing action names, so adding an entry is one place to look. Nothing outside this
 * table is ever executed, whatever an analyzer proposes (the gate refuses it before it gets here).
 */
export interface CatalogEntry {
  action: RemediationAction;
  /** Changes something on GitHub: needs credentials, an intent recorded first, and verification. */
  mutates: boolean;
  /** The kind of re-run that creates the attempt verification follows. */
  rerun: 'failed-jobs' | 'workflow' | undefined;
  /** Deletes the caches whose key starts with `params.keyPrefix` before re-running. */
  clearsCaches: boolean;
  /**
   * The branch must still point at the run's commit. Re-running a whole workflow builds the run's commit
   * again; when the branch has moved on, that tests code nobody is about to merge.
   */
  requiresUnchangedBranch: boolean;
  /** How an aborted remediation is undone; `undefined` when there is nothing to undo. */
  rollback: 'cancel-run' | undefined;
  /** One line for events, the audit trail and docs. */
  description: string;
}

export const CATALOG: Readonly<Record<RemediationAction, CatalogEntry>> = Object.freeze({
  'rerun-failed-jobs': {
    action: 'rerun-failed-jobs',
    mutates: true,
    rerun: 'failed-jobs',
    clearsCaches: false,
    requiresUnchangedBranch: false,
    rollback: 'cancel-run',
    description: 're-run the failed jobs of the run (a new attempt; jobs that passed are not run again)',
  },
  'rerun-workflow': {
    action: 'rerun-workflow',
    mutates: true,
    rerun: 'workflow',
    clearsCaches: false,
    requiresUnchangedBranch: true,
    rollback: 'cancel-run',
    description: 're-run every job of the run (a new attempt)',
  },
  'clear-caches': {
    action: 'clear-caches',
    mutates: true,
    rerun: 'failed-jobs',
    clearsCaches: true,
    requiresUnchangedBranch: false,
    // Deleted caches cannot be restored; cancelling the re-run is the part that can be undone.
    rollback: 'cancel-run',
    description: 'delete the Actions caches whose key starts with the proposed prefix, then re-run the failed jobs',
  },
  'notify-only': {
    action: 'notify-only',
    mutates: false,
    rerun: undefined,
    clearsCaches: false,
    requiresUnchangedBranch: false,
    rollback: undefined,
    description: 'change nothing on GitHub: the failure needs a person',
  },
});

/** The parameter clear-caches reads its key prefix from (`status.analysis.proposedRemediation.params`). */
export const CACHE_KEY_PREFIX_PARAM = 'keyPrefix';
