// Bundles the CLI into dist/ (ESM, code-split): `dist/cli.js` holds what every command needs, and each
// command's heavy dependencies (database drivers, ...) sit in chunks loaded only when that command runs,
// which keeps `ci-remediator analyze` start-up short. `dist/operator.js` is the operator's own entry
// (operator/cli.ts), which bin/ci-remediator.js hands to the CLI as its `operator` command; the two share
// chunks, so the core code is bundled once.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';
import { nodeFetchAlias, nodeFetchPlugin } from './esbuild-node-fetch.mjs';

// Chunk names carry content hashes: start from an empty dist/ so stale chunks never pile up.
rmSync('dist', { recursive: true, force: true });

await build({
  entryPoints: { cli: 'src/cli/main.ts', operator: 'operator/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  sourcemap: 'linked',
  logLevel: 'warning',
  // No DEP0040/DEP0169 at every operator start from client-node's node-fetch (see esbuild-node-fetch.mjs).
  alias: nodeFetchAlias,
  plugins: [nodeFetchPlugin],
  // knex requires every dialect's driver lazily; only pg (and PGlite) are installed, so the others stay
  // unresolved imports that never run. @electric-sql/pglite loads pglite.wasm, pglite.data and initdb.wasm
  // relative to its own module (and its CommonJS build, which knex-pglite requires, uses __filename), so it
  // is left in node_modules, a dependency of the package, instead of being bundled.
  external: [
    '@electric-sql/pglite',
    'better-sqlite3', 'sqlite3', 'mysql', 'mysql2', 'mariadb', 'mariadb/callback', 'tedious', 'oracledb', 'pg-native', 'pg-query-stream',
  ],
  // CommonJS dependencies bundled into ESM call require(); give them one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
