import type { OperatorConfig } from '../../src/config/operator-config.ts';
import { createGitHubClient } from '../../src/github/client.ts';
import { RemediationExecutor } from '../../src/remediation/executor.ts';
import type { Logger } from '../runtime/logger.ts';

/**
 * Told whether GitHub accepted the operator's credentials, from each answer: 401 refused them, any 2xx/3xx
 * accepted them (the operator alerts on a refusal: main.ts).
 */
export type CredentialsObserver = (refused: boolean, detail: string) => void;

/** The executor for the configured GitHub credentials, or undefined without any (remediations then wait). */
export function createExecutor(config: Pick<OperatorConfig, 'githubApiUrl' | 'githubAuth'>, log: Logger, onCredentials?: CredentialsObserver): RemediationExecutor | undefined {
  if (config.githubAuth === undefined) {
    log.warn({}, 'no GitHub credentials: remediations are not executed (AutoApproved records wait with Executed=False GitHubNotConfigured)');
    return undefined;
  }
  const client = createGitHubClient({
    baseUrl: config.githubApiUrl,
    auth: config.githubAuth,
    userAgent: 'ci-remediator-operator',
    log: { warn: (message) => log.warn({}, message), debug: (message) => log.debug({}, message) },
    ...(onCredentials !== undefined && {
      request: {
        fetch: async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
          const response = await fetch(input, init);
          if (response.status === 401) onCredentials(true, `GitHub answered 401 to ${init?.method ?? 'GET'} ${new URL(input instanceof Request ? input.url : String(input)).pathname}`);
          else if (response.status < 400) onCredentials(false, '');
          return response;
        },
      },
    }),
  });
  log.info({ githubApiUrl: config.githubApiUrl, auth: 'token' in config.githubAuth ? 'token' : 'app' }, 'remediations are executed on GitHub');
  return new RemediationExecutor(client);
}
