import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { describeApiError, isConflict, isNotFound } from './kube.ts';
import type { Logger } from './logger.ts';

/**
 * Lease-based leader election (client-go's leaderelection, coordination.k8s.io/v1): one replica holds the
 * Lease and acts; the others retry every retryPeriod and take over once the holder has not renewed for
 * leaseDuration. Expiry is judged by when *we* last saw the lease change (local clock), not by the
 * holder's renewTime, so clock skew between nodes cannot make two leaders.
 *
 * The leader considers itself leader only while its last successful renewal is younger than renewDeadline
 * (less than leaseDuration): it stops writing before anyone else may start.
 */
export interface LeaderElectorOptions {
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  now?: () => number;
}

/** The Lease's namespace is missing: nothing will ever work, so the operator stops with this. */
export class LeaseNamespaceMissingError extends Error {
  readonly code = 'LEASE_NAMESPACE_MISSING';
}

export class LeaderElector {
  readonly #options: LeaderElectorOptions;
  readonly #now: () => number;
  #leading = false;
  #running = false;
  #lastRenewAt = 0;
  #observedRecord = '';
  #observedAt = 0;
  #lease: V1Lease | undefined;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #fatal: ((error: Error) => void) | undefined;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** True while the election loop runs (a non-leader is then "ready": it is doing its job). */
  get running(): boolean {
    return this.#running;
  }

  /** Checked before every write: false as soon as the lease may no longer be ours. */
  isLeader(): boolean {
    return this.#leading && this.#now() - this.#lastRenewAt < this.#options.renewDeadlineMs;
  }

  /** Runs until stop(); rejects only for a fatal misconfiguration (the Lease namespace does not exist). */
  run(): Promise<void> {
    this.#running = true;
    return new Promise<void>((resolve, reject) => {
      this.#fatal = (error) => {
        this.#running = false;
        reject(error);
      };
      void this.#loop().then(resolve, reject);
    });
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      let ok = false;
      try {
        ok = await this.#tryAcquireOrRenew();
      } catch (error) {
        if (error instanceof LeaseNamespaceMissingError) {
          this.#fatal?.(error);
          return;
        }
        this.#options.log.warn({ err: describeApiError(error) }, 'leader election attempt failed');
      }
      if (!this.#running) return;
      if (ok) {
        this.#lastRenewAt = this.#now();
        if (!this.#leading) {
          this.#leading = true;
          this.#options.log.info({ identity: this.#options.identity, lease: `${this.#options.namespace}/${this.#options.name}` }, 'leader election won');
          this.#options.onStartedLeading();
        }
      } else if (this.#leading && (this.#lease === undefined || !this.isLeader())) {
        // Someone else holds it now, or we could not renew in time: either way it is no longer ours.
        this.#loseLeadership();
      }
      await this.#sleep(this.#options.retryPeriodMs);
    }
  }

  #loseLeadership(): void {
    this.#leading = false;
    this.#options.log.warn({ identity: this.#options.identity }, 'leader election lost');
    this.#options.onStoppedLeading();
  }

  /** Stops the loop; with `release`, a leader hands the Lease over at once instead of letting it expire. */
  async stop(release: boolean): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#wake?.();
    const wasLeading = this.#leading;
    this.#leading = false;
    if (!wasLeading || !release || this.#lease === undefined) return;
    const lease = this.#lease;
    const now = new V1MicroTime(this.#now());
    try {
      await this.#options.api.replaceNamespacedLease({
        namespace: this.#options.namespace,
        name: this.#options.name,
        body: {
          ...lease,
          // client-go's release: no holder and a 1 s duration, so a candidate takes over on its next try.
          spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
        },
      });
      this.#options.log.info({ identity: this.#options.identity }, 'lease released');
    } catch (error) {
      this.#options.log.warn({ err: describeApiError(error) }, 'could not release the lease; it expires by itself');
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity } = this.#options;
    const leaseDurationSeconds = Math.max(1, Math.ceil(this.#options.leaseDurationMs / 1000));
    const now = new V1MicroTime(this.#now());
    let current: V1Lease;
    try {
      current = await api.readNamespacedLease({ namespace, name });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        this.#lease = await api.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
          },
        });
        this.#observe(this.#lease);
        return true;
      } catch (createError) {
        if (isNotFound(createError)) {
          throw new LeaseNamespaceMissingError(
            `The leader election namespace '${namespace}' does not exist; create it or pass --leader-election-namespace (or POD_NAMESPACE).`,
          );
        }
        if (isConflict(createError) || statusIs(createError, 409)) return false;
        throw createError;
      }
    }

    this.#observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const ours = holder === identity;
    const durationMs = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (!ours && holder !== '' && this.#now() - this.#observedAt < durationMs) {
      // Someone else holds a lease that has not expired (as far as we have watched it).
      this.#lease = undefined;
      return false;
    }
    const body: V1Lease = {
      ...current,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: now,
        acquireTime: ours && spec.acquireTime !== undefined ? spec.acquireTime : now,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (ours ? 0 : 1),
      },
    };
    try {
      // replace carries metadata.resourceVersion: two candidates racing for an expired lease cannot both win.
      this.#lease = await api.replaceNamespacedLease({ namespace, name, body });
      this.#observe(this.#lease);
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  #observe(lease: V1Lease): void {
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity ?? '', String(spec.renewTime ?? ''), spec.leaseTransitions ?? 0]);
    if (record !== this.#observedRecord) {
      this.#observedRecord = record;
      this.#observedAt = this.#now();
    }
  }
}

function statusIs(error: unknown, code: number): boolean {
  return (error as { code?: unknown } | null)?.code === code;
}
