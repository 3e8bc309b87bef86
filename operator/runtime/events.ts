import { randomBytes } from 'node:crypto';
import type { CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import type { KubeClients } from './kube.ts';
import type { Logger } from './logger.ts';

/**
 * Kubernetes Events (core/v1) on our objects, for `kubectl describe` and `kubectl get events`. Emitted on
 * transitions only, so a resync never repeats one. Sending is off the reconcile's path: an Event is
 * informational, and a slow or failing events endpoint must not hold up status writes. The queue is
 * bounded; beyond it events are dropped (and counted), never buffered without limit.
 */
export interface EventRecorderOptions {
  clients: KubeClients;
  component: string;
  instance: string;
  log: Logger;
  /** Only the leader writes: an event from a replica that lost its lease would be a write it may not make. */
  canWrite: () => boolean;
  maxPending?: number;
  concurrency?: number;
  now?: () => Date;
}

export type EventType = 'Normal' | 'Warning';

interface Pending {
  object: KubernetesObject;
  type: EventType;
  reason: string;
  message: string;
}

export class EventRecorder {
  readonly #options: EventRecorderOptions;
  readonly #queue: Pending[] = [];
  #active = 0;
  #idle: (() => void)[] = [];
  dropped = 0;

  constructor(options: EventRecorderOptions) {
    this.#options = options;
  }

  emit(object: KubernetesObject, type: EventType, reason: string, message: string): void {
    if (!this.#options.canWrite()) return;
    if (this.#queue.length >= (this.#options.maxPending ?? 5000)) {
      this.dropped++;
      return;
    }
    this.#queue.push({ object, type, reason, message });
    this.#pump();
  }

  /** Resolves when every queued event has been sent (or given up), or after `timeoutMs`. */
  async flush(timeoutMs: number): Promise<void> {
    if (this.#active === 0 && this.#queue.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#idle.push(resolve)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  #pump(): void {
    while (this.#active < (this.#options.concurrency ?? 4) && this.#queue.length > 0) {
      const next = this.#queue.shift()!;
      this.#active++;
      void this.#send(next).finally(() => {
        this.#active--;
        if (this.#active === 0 && this.#queue.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
        this.#pump();
      });
    }
  }

  async #send({ object, type, reason, message }: Pending): Promise<void> {
    if (!this.#options.canWrite()) return;
    const metadata = object.metadata ?? {};
    const namespace = metadata.namespace ?? 'default';
    const now = (this.#options.now ?? (() => new Date()))();
    const event: CoreV1Event = {
      metadata: { name: `${metadata.name ?? 'object'}.${now.getTime().toString(16)}${randomBytes(4).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: metadata.name,
        namespace,
        uid: metadata.uid,
        resourceVersion: metadata.resourceVersion,
      },
      reason,
      // The API server refuses messages over 1 KiB in events.k8s.io; stay well inside.
      message: message.length > 1000 ? `${message.slice(0, 997)}...` : message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: this.#options.component },
      reportingComponent: this.#options.component,
      reportingInstance: this.#options.instance.slice(0, 128),
    };
    try {
      await this.#options.clients.core.createNamespacedEvent({ namespace, body: event });
    } catch (error) {
      this.#options.log.debug({ err: error instanceof Error ? error.message.split('\n')[0] : String(error), reason }, 'event not recorded');
    }
  }
}
