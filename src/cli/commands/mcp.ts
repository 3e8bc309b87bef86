import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { errorMessage } from '../../errors.ts';
import { createGitHubClient } from '../../github/client.ts';
import { githubToolSources } from '../../analysis/model/github-sources.ts';
import { redact } from '../../analysis/model/redaction.ts';
import { createMcpServer, type RecordReader } from '../../mcp/mcp-server.ts';
import { API_GROUP, API_VERSION } from '../../api/common.ts';
import { loadPolicyFile } from '../../policy/policy-loader.ts';
import { openCliStore } from '../flags.ts';
import { EXIT, type Command } from '../io.ts';
import type { Store } from '../../store/store.ts';

const HELP = `Usage: ci-remediator mcp [options]

Serves the analysis agent's read-only tools over MCP on standard input/output, for a coding agent:
read_job_log, read_workflow_file, list_changed_files, failure_history, recent_runs, analyze_failure.
Every result is bounded, redacted and framed as untrusted data, as the model sees it. No tool executes,
approves or changes anything.

Options:
  --policy FILE   The RemediationPolicy analyze_failure gates under (default: the embedded default)
  --record        Read failure history from the store (CI_REMEDIATOR_DATABASE_URL or the embedded store)
  --data-dir DIR  Where the embedded store lives (with --record)
  --kubeconfig PATH  [KUBECONFIG] lets analyze_failure take a FailureRecord by namespace and name
  -h, --help      Show this help

Environment: GITHUB_TOKEN (job logs, changed files), GITHUB_API_URL (GitHub Enterprise Server), KUBECONFIG.
`;

export const run: Command = async (args, io) => {
  let values;
  try {
    ({ values } = parseArgs({ args, strict: true, options: { policy: { type: 'string' }, record: { type: 'boolean', default: false }, 'data-dir': { type: 'string' }, kubeconfig: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } }));
  } catch (error) {
    io.stderr.write(`ci-remediator mcp: ${errorMessage(error)}\n`);
    return EXIT.usage;
  }
  if (values.help) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  let store: Store | undefined;
  try {
    const [policy] = values.policy === undefined ? [] : await loadPolicyFile(values.policy);
    if (values.record) store = await openCliStore({ env: io.env, cwd: io.cwd, dataDir: values['data-dir'] });
    const token = io.env.GITHUB_TOKEN;
    const github = token ? createGitHubClient({ auth: { token }, ...(io.env.GITHUB_API_URL && { baseUrl: io.env.GITHUB_API_URL }) }) : undefined;
    const history = store;
    const kubeconfig = values.kubeconfig ?? (io.env.KUBECONFIG || undefined);
    const readRecord = kubeconfig === undefined ? undefined : await recordReader(kubeconfig);
    const server = createMcpServer({
      ...(readRecord !== undefined && { readRecord }),
      version: '0.1.0',
      redact,
      ...(policy && { policy }),
      sources: (scope) => ({
        ...(github && githubToolSources(github)),
        ...(history && { history: (fingerprint: string) => history.failureHistory(scope.repository, fingerprint) }),
      }),
    });
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
    await server.connect(transport);
    await closed;
    return EXIT.ok;
  } catch (error) {
    io.stderr.write(`ci-remediator mcp: ${errorMessage(error)}\n`);
    return EXIT.failed;
  } finally {
    await store?.close();
  }
};

/** Reads FailureRecords with the kubeconfig's credentials (get only); the Kubernetes client loads only here. */
async function recordReader(path: string): Promise<RecordReader> {
  const { CustomObjectsApi, KubeConfig } = await import('../kube-client.ts');
  const config = new KubeConfig();
  try {
    config.loadFromFile(path);
  } catch (error) {
    throw new Error(`cannot read the kubeconfig ${path}: ${errorMessage(error)}`, { cause: error });
  }
  const api = config.makeApiClient(CustomObjectsApi);
  return (namespace, name) => api.getNamespacedCustomObject({ group: API_GROUP, version: API_VERSION, namespace, plural: 'failurerecords', name });
}
