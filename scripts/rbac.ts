// `node scripts/rbac.ts` writes deploy/rbac/operator.yaml from operator/rbac.ts; `--check` fails (exit 1)
// when the file on disk differs, so a new API call without its rule, or a hand edit, does not merge.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RBAC_FILE, RBAC_GENERATE_COMMAND, renderRbac } from '../operator/rbac.ts';

const path = join(import.meta.dirname, '..', RBAC_FILE);
const wanted = renderRbac();
if (process.argv.includes('--check')) {
  const actual = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (actual !== wanted) {
    console.error(`${RBAC_FILE} is ${actual === undefined ? 'missing' : 'out of date with operator/rbac.ts'}. Run \`${RBAC_GENERATE_COMMAND}\` and commit the result.`);
    process.exit(1);
  }
  console.log(`${RBAC_FILE} is up to date`);
} else {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, wanted);
  console.log(`wrote ${RBAC_FILE}`);
}
