/** Contents of .cluster/cluster.json, written by scripts/cluster/up.sh. */
export interface ClusterInfo {
  /** "started" when this call started the control plane, "reused" when it was already running. */
  state: 'started' | 'reused';
  /** https://127.0.0.1:PORT */
  server: string;
  /** Admin kubeconfig (client certificate in system:masters, certificates embedded). */
  kubeconfig: string;
  caFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** Issuer (and default audience) of ServiceAccount tokens. */
  serviceAccountIssuer: string;
  kubernetesVersion: string;
  etcdVersion: string;
  etcdEndpoint: string;
  apiserverPid: number | null;
  etcdPid: number | null;
}
export function clusterStateDir(): string;
export function testClusterStateDir(): string;
export function clusterInfo(): ClusterInfo | null;
export function clusterUp(options?: { fresh?: boolean }): ClusterInfo;
export function clusterDown(info: ClusterInfo | null | undefined, options?: { force?: boolean }): void;
