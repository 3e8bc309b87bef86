import type { OperatorConfig } from '../../src/config/operator-config.ts';
import { createGitHubClient } from '../../src/github/client.ts';
import { RemediationExecutor } from '../../src/remediation/executor.ts';
import type { Logger } from '../runtime/logger.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';

/** The executor for the configured GitHub credentials, or undefined without any (remediations then wait). */
export function createExecutor(
  config: Pick<OperatorConfig, 'githubApiUrl' | 'githubAuth'>,
  log: Logger,
  metrics?: Pick<OperatorMetrics, 'githubRequests'>,
): RemediationExecutor | undefined {
  if (config.githubAuth === undefined) {
    log.warn({}, 'no GitHub credentials: remediations are not executed (AutoApproved records wait with Executed=False GitHubNotConfigured)');
    return undefined;
  }
  const client = createGitHubClient({
    baseUrl: config.githubApiUrl,
    auth: config.githubAuth,
    userAgent: 'ci-remediator-operator',
    log: { warn: (message) => log.warn({}, message), debug: (message) => log.debug({}, message) },
    ...(metrics !== undefined && { onResponse: (code: string) => metrics.githubRequests.inc({ code }) }),
  });
  log.info({ githubApiUrl: config.githubApiUrl, auth: 'token' in config.githubAuth ? 'token' : 'app' }, 'remediations are executed on GitHub');
  return new RemediationExecutor(client);
}
