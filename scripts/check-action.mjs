// `npm run action:check`: fails when the committed bundle (action/dist/) is not what the sources build, or when
// the usage block of docs/action.md does not match action.yml. CI runs it beside crds:check.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAction } from './build-action.mjs';
import { checkUsage } from './generate-action-docs.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const DIST = join(ROOT, 'action', 'dist');

const problems = [];
const fresh = mkdtempSync(join(tmpdir(), 'ci-remediator-action-'));
try {
  await buildAction(fresh);
  const built = readdirSync(fresh).sort();
  let committed = [];
  try {
    committed = readdirSync(DIST).sort();
  } catch {
    // reported below as missing files
  }
  for (const name of built) {
    if (!committed.includes(name)) problems.push(`action/dist/${name} is missing`);
    else if (!readFileSync(join(fresh, name)).equals(readFileSync(join(DIST, name)))) problems.push(`action/dist/${name} differs from a fresh build`);
  }
  for (const name of committed) if (!built.includes(name)) problems.push(`action/dist/${name} is not produced by the build any more`);
  if (problems.length > 0) problems.push('The committed bundle is stale: run `npm run action:build` and commit action/dist/.');
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
const docs = checkUsage();
if (docs) problems.push(docs);

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('action/dist matches the sources; docs/action.md matches action.yml');
