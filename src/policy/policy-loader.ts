import { readFile, stat } from 'node:fs/promises';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { deepFreeze, formatPath, GROUP_VERSION, issueDetails } from '../api/common.ts';
import { REMEDIATION_POLICY_KIND, RemediationPolicy } from '../api/remediation-policy.ts';
import { errorMessage, PolicyError } from '../errors.ts';

/** Policy files are written by people; anything larger is a mistake (or an attack on the parser). */
const MAX_POLICY_FILE_BYTES = 1024 * 1024;
const MAX_DOCUMENTS = 500;

/**
 * Reads a YAML file of one or more RemediationPolicy documents (`---` separated, as `kubectl apply -f`
 * takes them). Every problem is a PolicyError whose message names the file, the document and the field.
 */
export async function loadPolicyFile(path: string): Promise<RemediationPolicy[]> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new PolicyError(`${path}: is a directory; expected a YAML file of RemediationPolicy documents`);
    if (info.size > MAX_POLICY_FILE_BYTES) {
      throw new PolicyError(`${path}: is ${info.size} bytes; a policy file may be at most ${MAX_POLICY_FILE_BYTES} bytes`);
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PolicyError(`${path}: no such file`, { cause: error });
    if (code === 'EACCES' || code === 'EPERM') throw new PolicyError(`${path}: permission denied`, { cause: error });
    throw new PolicyError(`${path}: cannot be read: ${errorMessage(error)}`, { cause: error });
  }
  return parsePolicyDocuments(text, path);
}

/**
 * Parses and validates policy documents. `sourceName` only labels messages (a path, `<stdin>`, a URL).
 * Empty documents (a trailing `---`) are skipped; a document of another kind is an error rather than
 * ignored, because a policy that silently did not load is a policy that silently does not apply.
 */
export function parsePolicyDocuments(text: string, sourceName: string): RemediationPolicy[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  // parseAllDocuments returns an EmptyStream (not an array) when there is nothing but comments and blanks.
  const list: Document.Parsed[] = Array.isArray(documents) ? documents : [];
  if (list.length > MAX_DOCUMENTS) {
    throw new PolicyError(`${sourceName}: has ${list.length} documents; a policy file may hold at most ${MAX_DOCUMENTS}`);
  }

  const policies: RemediationPolicy[] = [];
  // Every document is checked and every problem reported at once: fixing a file one error per run is tedious.
  const problems: string[] = [];
  const causes: unknown[] = [];
  const seen = new Map<string, number>();
  let nonEmpty = 0;
  list.forEach((document, index) => {
    const number = index + 1;
    const syntax = document.errors[0];
    if (syntax !== undefined) {
      const where = syntax.linePos?.[0] ?? lineCounter.linePos(syntax.pos[0]);
      problems.push(`${sourceName}: line ${where.line}, column ${where.col}: YAML syntax error: ${firstLine(syntax.message)}`);
      causes.push(syntax);
      nonEmpty++;
      return;
    }
    const data: unknown = document.toJS({ maxAliasCount: 100 });
    // `---` followed by nothing (kustomize and helm output end that way) is an empty document, not an error.
    if (data === null || data === undefined) return;
    nonEmpty++;

    const label = `${sourceName}: document ${number}`;
    if (typeof data !== 'object' || Array.isArray(data)) {
      const got = Array.isArray(data) ? 'a list' : typeof data === 'string' ? 'a string' : String(data);
      problems.push(`${label}: expected a RemediationPolicy mapping, got ${got} at line ${lineOf(document, [], lineCounter)}`);
      return;
    }
    const record = data as Record<string, unknown>;
    if (record['kind'] !== REMEDIATION_POLICY_KIND) {
      const kind = typeof record['kind'] === 'string' ? `kind ${record['kind']}` : 'no kind';
      problems.push(
        `${label} (${kind}): is not a RemediationPolicy; a policy file holds only ${GROUP_VERSION} RemediationPolicy documents at line ${lineOf(document, ['kind'], lineCounter)}`,
      );
      return;
    }

    const name = nameOf(record);
    const prefix = `${label} (RemediationPolicy${name === undefined ? '' : ` "${name}"`})`;
    const result = RemediationPolicy.safeParse(data);
    if (!result.success) {
      for (const detail of issueDetails(result.error.issues, data)) {
        problems.push(`${prefix}: ${formatPath(detail.path) || '(document)'}: ${detail.message} at line ${lineOf(document, detail.path, lineCounter)}`);
      }
      causes.push(result.error);
      return;
    }

    const policy = result.data;
    const key = `${policy.metadata.namespace ?? ''}/${policy.metadata.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push(`${prefix}: is defined twice (first in document ${first}) at line ${lineOf(document, ['metadata', 'name'], lineCounter)}`);
      return;
    }
    seen.set(key, number);
    // Loaded policies are shared by every gate call; freezing turns an accidental mutation into an error.
    policies.push(deepFreeze(policy));
  });

  if (problems.length > 0) {
    throw new PolicyError(problems.join('\n'), { cause: causes.length === 1 ? causes[0] : causes.length > 1 ? causes : undefined });
  }
  if (nonEmpty === 0) {
    throw new PolicyError(`${sourceName}: is empty; expected at least one RemediationPolicy document`);
  }
  return policies;
}

function nameOf(record: Record<string, unknown>): string | undefined {
  const metadata = record['metadata'];
  if (metadata === null || typeof metadata !== 'object') return undefined;
  const name = (metadata as Record<string, unknown>)['name'];
  return typeof name === 'string' && name.length <= 253 ? name : undefined;
}

/**
 * The 1-based line of the deepest node along `path` that exists: the field itself when it is there, its
 * key when the path ends on a mapping key (unknown fields), otherwise the closest parent (missing fields).
 */
function lineOf(document: Document.Parsed, path: readonly PropertyKey[], lineCounter: LineCounter): number {
  let node: unknown = document.contents;
  let offset = rangeStart(node) ?? 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) break;
      // The key's line: for `riskThreshold: 150` it is the value's line too, and for a nested block it is
      // the line that names the field.
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return lineCounter.linePos(offset).line;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}
