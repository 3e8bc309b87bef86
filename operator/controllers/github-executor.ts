import type { OperatorConfig } from '../../src/config/operator-config.ts';
import { createGitHubClient } from '../../src/github/client.ts';
import { RemediationExecutor } from '../../src/remediation/executor.ts';
import type { Logger } from '../runtime/logger.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';

/**
 * Told whether GitHub accepted the operator's credentials, from each answer: 401 refused them, any 2xx/3xx
 * accepted them (the operator alerts on a refusal: main.ts).
 */
export type CredentialsObserver = (refused: boolean, detail: string) => void;

export interface ExecutorObservers {
  /** Counts GitHub's answers by status (ci_remediator_github_requests_total). */
  metrics?: Pick<OperatorMetrics, 'githubRequests'>;
  /** Told whether GitHub accepts the credentials, from each answer (the operator's alerts). */
  onCredentials?: CredentialsObserver;
}

/** The executor for the configured GitHub credentials, or undefined without any (remediations then wait). */
export function createExecutor(config: Pick<OperatorConfig, 'githubApiUrl' | 'githubAuth'>, log: Logger, observers: ExecutorObservers = {}): RemediationExecutor | undefined {
  if (config.githubAuth === undefined) {
    log.warn({}, 'no GitHub credentials: remediations are not executed (AutoApproved records wait with Executed=False GitHubNotConfigured)');
    return undefined;
  }
  const client = createGitHubClient({
    baseUrl: config.githubApiUrl,
    auth: config.githubAuth,
    userAgent: 'ci-remediator-operator',
    log: { warn: (message) => log.warn({}, message), debug: (message) => log.debug({}, message) },
    onResponse: (code, request) => {
      observers.metrics?.githubRequests.inc({ code });
      if (code === '401') observers.onCredentials?.(true, `GitHub answered 401 to ${request.method} ${request.path}`);
      else if (Number(code) < 400) observers.onCredentials?.(false, '');
    },
  });
  log.info({ githubApiUrl: config.githubApiUrl, auth: 'token' in config.githubAuth ? 'token' : 'app' }, 'remediations are executed on GitHub');
  return new RemediationExecutor(client);
}
