import { existsSync, readFileSync, statSync } from 'node:fs';
import * as core from '@actions/core';
import { NamespaceName } from '../src/api/common.ts';
import { InputError } from '../src/errors.ts';
import { INGEST_PATH } from '../src/ingest/ingest-request.ts';
import { MIN_SECRET_LENGTH } from '../src/ingest/signature.ts';

/**
 * Every input of action.yml, read and validated here and nowhere else. A bad value is an ActionInputError
 * naming the input, the value and the expected format. Secrets are masked as soon as they are read.
 */

export const INPUT = {
  githubToken: 'github-token',
  mode: 'mode',
  kubeconfig: 'kubeconfig',
  namespace: 'namespace',
  endpoint: 'endpoint',
  signingSecret: 'signing-secret',
  maxLogBytes: 'max-log-bytes',
  jobs: 'jobs',
  failOnError: 'fail-on-error',
  dryRun: 'dry-run',
} as const;

export const OUTPUT = {
  recordName: 'record-name',
  category: 'category',
  summary: 'summary',
} as const;

export class ActionInputError extends InputError {
  override readonly code = 'ACTION_INPUT_INVALID';
}

const MODES = ['kubernetes', 'endpoint'] as const;
export type Mode = (typeof MODES)[number];

/** Where a kubeconfig came from: inline content, a file, or the runner's in-cluster service account. */
export type KubeconfigSource = { kind: 'content'; content: string } | { kind: 'file'; path: string; content: string } | { kind: 'in-cluster' };

export interface ActionInputs {
  githubToken: string;
  mode: Mode;
  kubeconfig: KubeconfigSource;
  /** Empty: the kubeconfig context's namespace (kubernetes) or the operator's default (endpoint). */
  namespace?: string;
  /** The ingest URL, `/api/v1/failures` included. */
  endpoint?: URL;
  signingSecret?: string;
  maxLogBytes: number;
  /** Job-name globs; `!glob` excludes. Empty: every failed job. */
  jobs: string[];
  dryRun: boolean;
}

const DEFAULT_MAX_LOG_BYTES = 32 * 1024 * 1024;
const MIN_LOG_BYTES = 64 * 1024;
const MAX_LOG_BYTES = 1024 * 1024 * 1024;

/**
 * `fail-on-error` on its own, first: it decides how every other problem (a bad input included) is reported.
 * A value that is not a boolean counts as false, with the problem itself reported.
 */
export function readFailOnError(): { failOnError: boolean; problem?: string } {
  try {
    return { failOnError: readBoolean(INPUT.failOnError) };
  } catch (error) {
    return { failOnError: false, problem: (error as Error).message };
  }
}

export function readInputs(): ActionInputs {
  const githubToken = core.getInput(INPUT.githubToken);
  if (githubToken !== '') core.setSecret(githubToken);
  const signingSecret = core.getInput(INPUT.signingSecret);
  if (signingSecret !== '') core.setSecret(signingSecret);
  // fail-on-error is read on its own, first (readFailOnError).
  const dryRun = readBoolean(INPUT.dryRun);

  if (githubToken === '') throw new ActionInputError(`Input '${INPUT.githubToken}' is empty. Expected a token with actions: read (the default, \${{ github.token }}, is enough).`);

  const modeText = core.getInput(INPUT.mode) || 'kubernetes';
  if (!(MODES as readonly string[]).includes(modeText)) throw new ActionInputError(invalid(INPUT.mode, modeText, MODES.map((m) => `'${m}'`).join(' or ')));
  const mode = modeText as Mode;

  const namespaceText = core.getInput(INPUT.namespace);
  if (namespaceText !== '' && !NamespaceName.safeParse(namespaceText).success) {
    throw new ActionInputError(invalid(INPUT.namespace, namespaceText, 'a Kubernetes namespace (lower-case letters, digits and -)'));
  }

  const kubeconfig = mode === 'kubernetes' ? readKubeconfig(core.getInput(INPUT.kubeconfig)) : ({ kind: 'in-cluster' } as const);

  let endpoint: URL | undefined;
  if (mode === 'endpoint') {
    endpoint = readEndpoint(core.getInput(INPUT.endpoint), dryRun);
    if (signingSecret === '' && !dryRun) {
      throw new ActionInputError(`Input '${INPUT.signingSecret}' is empty. Mode 'endpoint' signs every request; pass the operator's ingest secret from a secret.`);
    }
    // The operator refuses shorter secrets; so does the action, before sending anything.
    if (signingSecret !== '' && signingSecret.trim().length < MIN_SECRET_LENGTH) {
      throw new ActionInputError(`Input '${INPUT.signingSecret}' is too short. Expected at least ${MIN_SECRET_LENGTH} characters (the operator refuses shorter secrets).`);
    }
  }

  return {
    githubToken,
    mode,
    kubeconfig,
    ...(namespaceText !== '' && { namespace: namespaceText }),
    ...(endpoint !== undefined && { endpoint }),
    ...(signingSecret !== '' && { signingSecret: signingSecret.trim() }),
    maxLogBytes: parseByteSize(core.getInput(INPUT.maxLogBytes)),
    jobs: core
      .getInput(INPUT.jobs)
      .split(/[\n,]/)
      .map((pattern) => pattern.trim())
      .filter((pattern) => pattern !== ''),
    dryRun,
  };
}

/** Empty is false: a runner fills in action.yml's defaults, `node action/dist/index.js` on its own does not. */
function readBoolean(name: string): boolean {
  if (core.getInput(name) === '') return false;
  try {
    return core.getBooleanInput(name);
  } catch {
    throw new ActionInputError(invalid(name, core.getInput(name), "'true' or 'false'"));
  }
}

/** `32MiB`, `512KiB`, `1GiB` or a number of bytes; K/M/G and KB/MB/GB are read as binary units too. */
function parseByteSize(text: string): number {
  const value = text.trim();
  if (value === '') return DEFAULT_MAX_LOG_BYTES;
  const match = /^(\d+)\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)$/i.exec(value);
  const unit = match?.[2]?.toLowerCase().charAt(0) ?? '';
  const bytes = match ? Number(match[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < MIN_LOG_BYTES || bytes > MAX_LOG_BYTES) {
    throw new ActionInputError(invalid(INPUT.maxLogBytes, value, 'a size from 64KiB to 1GiB, such as 32MiB or 1048576'));
  }
  return bytes;
}

function readKubeconfig(text: string): KubeconfigSource {
  const value = text.trim();
  if (value === '') return { kind: 'in-cluster' };
  // Content has lines (YAML) or braces (JSON); a path has neither.
  if (value.includes('\n') || value.startsWith('{') || /^apiVersion\s*:/m.test(value)) return { kind: 'content', content: text };
  if (!existsSync(value)) {
    throw new ActionInputError(`Input '${INPUT.kubeconfig}' is neither a kubeconfig nor the path of a file ('${value.slice(0, 200)}' does not exist).`);
  }
  const stats = statSync(value);
  if (stats.isDirectory()) {
    throw new ActionInputError(`Input '${INPUT.kubeconfig}': '${value.slice(0, 200)}' is a directory, not a kubeconfig file.`);
  }
  if (!stats.isFile()) throw new ActionInputError(`Input '${INPUT.kubeconfig}': '${value.slice(0, 200)}' is not a regular file; expected the path of a kubeconfig file.`);
  return { kind: 'file', path: value, content: readFileSync(value, 'utf8') };
}

function readEndpoint(text: string, dryRun: boolean): URL | undefined {
  const value = text.trim();
  if (value === '') {
    if (dryRun) return undefined;
    throw new ActionInputError(`Input '${INPUT.endpoint}' is empty. Mode 'endpoint' needs the operator's URL, e.g. https://ci-remediator.example.com.`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ActionInputError(invalid(INPUT.endpoint, value, 'an http(s) URL such as https://ci-remediator.example.com'));
  }
  if (url.username !== '' || url.password !== '') {
    // Not quoted: the value carries a credential.
    throw new ActionInputError(`Invalid input '${INPUT.endpoint}': the URL carries credentials. Expected the operator's URL only; requests are signed with '${INPUT.signingSecret}'.`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.hash !== '') {
    throw new ActionInputError(invalid(INPUT.endpoint, value, 'an http(s) URL without a fragment, such as https://ci-remediator.example.com'));
  }
  // The operator's base URL (any path prefix of a reverse proxy kept), or the ingest URL itself.
  if (!url.pathname.endsWith(INGEST_PATH)) url.pathname = `${url.pathname.replace(/\/+$/, '')}${INGEST_PATH}`;
  return url;
}

function invalid(name: string, value: string, expected: string): string {
  return `Invalid input '${name}': '${value.slice(0, 200)}'. Expected ${expected}.`;
}
