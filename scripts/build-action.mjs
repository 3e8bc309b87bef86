// Bundles the GitHub Action into action/dist/ (committed: a runner executes `node action/dist/index.js` from the
// checked-out action, with no `npm install`). One ESM file with every dependency inside, minified, plus the
// license texts of the bundled packages (and their legal comments) in LICENSES.txt. The output depends only on the sources and the lockfile,
// so `npm run action:check` can rebuild it and compare byte for byte.
//
//   node scripts/build-action.mjs [outdir]      (default action/dist)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { nodeFetchAlias, nodeFetchPlugin } from './esbuild-node-fetch.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');

/** Builds into `outdir` (emptied first) and returns the files written, relative to it, with their sizes. */
export async function buildAction(outdir = join(ROOT, 'action', 'dist')) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { index: 'action/index.ts' },
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    // Legal comments go to one file instead of bloating the bundle (and instead of being dropped).
    legalComments: 'external',
    sourcemap: false,
    charset: 'utf8',
    write: false,
    metafile: true,
    // No deprecation warnings from client-node's node-fetch in workflow logs (see esbuild-node-fetch.mjs).
    alias: nodeFetchAlias,
    plugins: [nodeFetchPlugin],
    logLevel: 'warning',
    // CommonJS packages bundled into ESM call require() and read __filename/__dirname; give them the real ones.
    banner: {
      js: [
        "import { createRequire as __ciRequire } from 'node:module';",
        "import { fileURLToPath as __ciPath } from 'node:url';",
        "import { dirname as __ciDirname } from 'node:path';",
        'const require = __ciRequire(import.meta.url);',
        'const __filename = __ciPath(import.meta.url);',
        'const __dirname = __ciDirname(__filename);',
      ].join(''),
    },
  });
  const files = [];
  let legalComments = '';
  for (const file of result.outputFiles) {
    if (basename(file.path).endsWith('.LEGAL.txt')) {
      legalComments = file.text;
      continue;
    }
    writeFileSync(join(outdir, basename(file.path)), file.contents);
    files.push({ name: basename(file.path), bytes: file.contents.length });
  }
  const licenses = licenseTexts(Object.keys(result.metafile.inputs)) + (legalComments ? `\n${'='.repeat(78)}\nLegal comments found in the bundled sources\n\n${legalComments}` : '');
  writeFileSync(join(outdir, 'LICENSES.txt'), licenses);
  files.push({ name: 'LICENSES.txt', bytes: Buffer.byteLength(licenses) });
  // The bundle is ESM; say so next to it, so it runs even when copied away from the repository's package.json.
  const marker = '{\n  "type": "module"\n}\n';
  writeFileSync(join(outdir, 'package.json'), marker);
  files.push({ name: 'package.json', bytes: marker.length });
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

/** Name, version, license and license file of every package a bundled file came from, sorted by name. */
function licenseTexts(inputs) {
  const packages = new Map();
  for (const input of inputs) {
    const at = input.lastIndexOf(`node_modules${sep === '/' ? '/' : sep}`);
    if (at < 0) continue;
    const rest = input.slice(at + 'node_modules/'.length).split('/');
    const dir = join(ROOT, input.slice(0, at), 'node_modules', ...(rest[0].startsWith('@') ? rest.slice(0, 2) : rest.slice(0, 1)));
    if (!packages.has(dir)) packages.set(dir, packageLicense(dir));
  }
  const sections = [...packages.values()].filter(Boolean).sort((a, b) => a.title.localeCompare(b.title));
  const unique = sections.filter((section, i) => i === 0 || section.title !== sections[i - 1].title);
  return [
    'Third-party software bundled into action/dist/index.js, with the license each is distributed under.',
    '',
    ...unique.map((section) => `${'='.repeat(78)}\n${section.title}\n\n${section.text.trim()}\n`),
  ].join('\n');
}

function packageLicense(dir) {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return undefined;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  const file = readdirSync(dir).sort().find((name) => /^(licen[cs]e|copying)(\.|$)/i.test(name));
  const text = file ? readFileSync(join(dir, file), 'utf8') : `(no license file in the package; package.json says: ${pkg.license ?? 'unknown'})`;
  return { title: `${pkg.name}@${pkg.version} (${pkg.license ?? 'unknown'})`, text };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = resolve(process.argv[2] ?? join(ROOT, 'action', 'dist'));
  const files = await buildAction(outdir);
  for (const file of files) console.log(`${join(outdir, file.name).replace(`${ROOT}/`, '')}  ${(file.bytes / 1024).toFixed(1)} KiB`);
}
