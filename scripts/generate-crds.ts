// Writes crds/*.yaml from the zod schemas in src/api (`npm run crds:generate`). The files are committed so
// `kubectl apply -f crds/` and the Helm chart need no build step; `npm run crds:check` keeps them honest.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRD_DIRECTORY, renderCrdFiles } from '../src/api/crd.ts';

const root = join(import.meta.dirname, '..');
const files = renderCrdFiles();
mkdirSync(join(root, CRD_DIRECTORY), { recursive: true });
for (const file of files) {
  writeFileSync(join(root, file.path), file.content);
  console.log(`wrote ${file.path}`);
}
// A renamed or removed kind must not leave its old CRD behind to be applied by `kubectl apply -f crds/`.
const expected = new Set(files.map((file) => file.path));
for (const name of readdirSync(join(root, CRD_DIRECTORY))) {
  const path = `${CRD_DIRECTORY}/${name}`;
  if (name.endsWith('.yaml') && !expected.has(path)) {
    rmSync(join(root, path));
    console.log(`removed ${path} (no longer generated)`);
  }
}
