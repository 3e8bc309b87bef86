import { clusterDown, type ClusterInfo } from '../../scripts/cluster/harness.mjs';

/**
 * jest globalTeardown: stops the shared control plane only if globalSetup started it. One that was already
 * running (`npm run cluster:up`, another engineer's run) is left alone, and so is any control plane when
 * CLUSTER_KEEP_RUNNING=1. Private control planes are stopped by the test files that started them.
 */
export default async function globalTeardown(): Promise<void> {
  clusterDown((globalThis as { __CLUSTER__?: ClusterInfo }).__CLUSTER__);
}
