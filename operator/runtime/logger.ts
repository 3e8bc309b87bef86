import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The operator's one logger: JSON lines on stdout (what log collectors in a cluster expect). Redaction
 * paths cover the places a credential could reach a log line through an error or a request.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    {
      level,
      base: { component: 'ci-remediator-operator' },
      redact: {
        paths: ['databaseUrl', 'url', 'headers.authorization', 'headers.Authorization', '*.headers.authorization', 'token', 'password'],
        censor: '[REDACTED]',
      },
    },
    destination,
  );
}
