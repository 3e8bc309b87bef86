// Writes the operator image's application tree into DIR: what the Dockerfile's runtime stage copies, and what
// `npm run image:check` starts in isolation to prove the copy is complete. Run after the CLI bundle is built
// (`npm run build`).
//
//   node scripts/stage-image.mjs DIR
//
// DIR/bin/ci-remediator.js   the CLI entry (imports ../dist/cli.js)
// DIR/dist/*.js              the bundle (source maps left out: nothing in the image reads them)
// DIR/package.json           "type": "module" for the bundle, name and version for --version
// DIR/node_modules/@electric-sql/pglite   the one package the bundle leaves external (it loads its .wasm and
//                            .data files relative to itself); see scripts/build-cli.mjs
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const target = process.argv[2];
if (!target) {
  console.error('usage: node scripts/stage-image.mjs DIR');
  process.exit(2);
}
if (!existsSync(join(root, 'dist', 'cli.js'))) {
  console.error('stage-image: dist/cli.js is missing; run `npm run build` first');
  process.exit(1);
}
/** Packages the bundle imports at run time instead of containing them (scripts/build-cli.mjs `external`, the ones installed). */
export const EXTERNAL_PACKAGES = ['@electric-sql/pglite'];

mkdirSync(join(target, 'bin'), { recursive: true });
mkdirSync(join(target, 'dist'), { recursive: true });
cpSync(join(root, 'bin', 'ci-remediator.js'), join(target, 'bin', 'ci-remediator.js'));
for (const name of readdirSync(join(root, 'dist'))) {
  if (name.endsWith('.js')) cpSync(join(root, 'dist', name), join(target, 'dist', name));
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
writeFileSync(join(target, 'package.json'), `${JSON.stringify({ name: pkg.name, version: pkg.version, license: pkg.license, type: pkg.type, private: true }, null, 2)}\n`);
for (const name of EXTERNAL_PACKAGES) {
  cpSync(join(root, 'node_modules', name), join(target, 'node_modules', name), { recursive: true, dereference: true });
}
console.log(`stage-image: wrote ${target}`);
