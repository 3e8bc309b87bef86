// Bundles the CLI into dist/ (ESM, code-split): `dist/cli.js` holds what every command needs, and each
// command's heavy dependencies (database drivers, ...) sit in chunks loaded only when that command runs,
// which keeps `ci-remediator analyze` start-up short.
import { build } from 'esbuild';

await build({
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  sourcemap: 'linked',
  logLevel: 'warning',
  // CommonJS dependencies bundled into ESM call require(); give them one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
