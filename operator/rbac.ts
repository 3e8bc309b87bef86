import { stringify } from 'yaml';
import { API_GROUP } from '../src/api/common.ts';
import { PLURAL as RECORD_PLURAL } from './controllers/record-object.ts';
import { POLICY_PLURAL } from './controllers/remediationpolicy.ts';

/**
 * Every Kubernetes API call the operator makes, as RBAC rules: the one declaration the generated Role YAML
 * (deploy/rbac/operator.yaml, `npm run rbac:generate`) and the Helm chart are made from. A call not listed
 * here fails with 403 in the RBAC integration test, which runs the operator under a ServiceAccount bound to
 * exactly these rules; `npm run rbac:check` fails when the YAML drifts from this file.
 */
export interface OperatorRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  /** Which code makes the call, so a rule can be dropped with the code that needed it. */
  why: string;
}

/** In every watched namespace (a ClusterRole: bind it per namespace with RoleBindings, or cluster-wide when all are watched). */
export const OPERATOR_RULES: readonly OperatorRule[] = [
  {
    apiGroups: [API_GROUP],
    resources: [RECORD_PLURAL],
    // list/watch: the informers (runtime/informer.ts); patch: the finalizer (runtime/kube.ts patchFinalizers);
    // create: POST /api/v1/failures (http/ingest.ts); get: a Slack decision reads the record live, never
    // from a cache (slack/operator-bridge.ts).
    verbs: ['get', 'list', 'watch', 'patch', 'create'],
    why: 'record informer, finalizer, ingest endpoint, Slack decisions',
  },
  { apiGroups: [API_GROUP], resources: [`${RECORD_PLURAL}/status`], verbs: ['patch'], why: 'status writes (transition writer, conditions)' },
  { apiGroups: [API_GROUP], resources: [POLICY_PLURAL], verbs: ['get', 'list', 'watch'], why: 'policy informer; the approvers of a Slack click (read live)' },
  { apiGroups: [API_GROUP], resources: [`${POLICY_PLURAL}/status`], verbs: ['patch'], why: 'policy status (matchedRecords, Valid)' },
  { apiGroups: [''], resources: ['events'], verbs: ['create'], why: 'runtime/events.ts (core/v1 Events on records)' },
];

/** In the leader election namespace only (runtime/leader-election.ts: read, create, replace of the Lease). */
export const LEADER_ELECTION_RULES: readonly OperatorRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'], why: 'leader election Lease' },
];

export const RBAC_FILE = 'deploy/rbac/operator.yaml';
export const RBAC_GENERATE_COMMAND = 'npm run rbac:generate';
export const OPERATOR_ROLE_NAME = 'ci-remediator-operator';
export const LEADER_ELECTION_ROLE_NAME = 'ci-remediator-operator-leader-election';

/** The generated file: a ClusterRole for the watched namespaces and a Role for the Lease. */
export function renderRbac(): string {
  const rules = (list: readonly OperatorRule[]) => list.map(({ apiGroups, resources, verbs }) => ({ apiGroups, resources, verbs }));
  const documents = [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: OPERATOR_ROLE_NAME }, rules: rules(OPERATOR_RULES) },
    // Namespace left out: the Role goes into the leader election namespace (--leader-election-namespace / POD_NAMESPACE).
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: LEADER_ELECTION_ROLE_NAME }, rules: rules(LEADER_ELECTION_RULES) },
  ];
  const header =
    `# Generated from operator/rbac.ts by \`${RBAC_GENERATE_COMMAND}\`; do not edit. The API calls the operator makes,\n` +
    `# and nothing more. CI fails when this file differs (\`npm run rbac:check\`).\n`;
  return header + documents.map((document) => `---\n${stringify(document)}`).join('');
}
