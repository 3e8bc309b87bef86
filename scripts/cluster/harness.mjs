// Starts and stops the test control plane from Node (e.g. a jest globalSetup/globalTeardown).
//
//   import { clusterUp, clusterDown } from '../../scripts/cluster/harness.mjs';
//   const cluster = clusterUp();          // builds once (cached), starts or reuses; sets KUBECONFIG
//   ...
//   clusterDown(cluster);                 // stops it only if clusterUp started it
//
// See docs/cluster.md.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Directory of the runtime state (.cluster/ at the repository root unless CLUSTER_STATE_DIR). */
export function clusterStateDir() {
  return process.env.CLUSTER_STATE_DIR ?? join(here, '..', '..', '.cluster');
}

/**
 * The test suite's own control plane: .cluster-test/ (its own ports, certificates and etcd data) unless
 * CLUSTER_STATE_DIR names another. Never .cluster/, the one `npm run cluster:up` gives a user's operator
 * trial, which the tests' namespaces, records and policies would otherwise fill.
 */
export function testClusterStateDir() {
  return process.env.CLUSTER_STATE_DIR ?? join(here, '..', '..', '.cluster-test');
}

/** Reads .cluster/cluster.json as written by up.sh, or null when the control plane is down. */
export function clusterInfo() {
  try {
    return JSON.parse(readFileSync(join(clusterStateDir(), 'cluster.json'), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Runs scripts/cluster/up.sh (build if missing, start or reuse, wait for /readyz) and sets
 * process.env.KUBECONFIG so that workers spawned afterwards inherit it.
 * @param {{ fresh?: boolean }} [options] fresh: start from empty etcd data.
 * @returns {object} the contents of .cluster/cluster.json; `state` is "started" or "reused".
 */
export function clusterUp(options = {}) {
  const args = [join(here, 'up.sh')];
  if (options.fresh) args.push('--fresh');
  execFileSync('bash', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const info = clusterInfo();
  if (!info) throw new Error('scripts/cluster/up.sh succeeded but wrote no .cluster/cluster.json');
  process.env.KUBECONFIG = info.kubeconfig;
  return info;
}

/**
 * Stops the control plane if `info` says clusterUp started it (a control plane that was
 * already running, e.g. from `npm run cluster:up`, is left alone), unless
 * CLUSTER_KEEP_RUNNING=1. With { force: true } it stops it regardless.
 */
export function clusterDown(info, options = {}) {
  if (!options.force && (info?.state !== 'started' || process.env.CLUSTER_KEEP_RUNNING === '1')) return;
  execFileSync('bash', [join(here, 'down.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
}
