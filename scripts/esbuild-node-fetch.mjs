// Shared by the CLI and action bundles: what keeps @kubernetes/client-node 1.x's HTTP client (node-fetch 2)
// from printing Node deprecation warnings at every operator start and into every workflow log.
//
// - DEP0040: node-fetch's whatwg-url (tr46) does require('punycode'), which Node resolves to its deprecated
//   built-in; the npm package of the same code (`punycode/`, a devDependency, bundled) prints nothing.
// - DEP0169: node-fetch 2.7 parses every request URL with url.parse() (never fixed in the 2.x line). The
//   plugin swaps that one line for the WHATWG parser, shaped as url.parse's result through Node's own
//   url.urlToHttpOptions; node-fetch only reads the fields http.request takes and hands the object back to
//   url.format, which accepts it. (client-node 2.x drops node-fetch for undici: then this file goes.)

export const nodeFetchAlias = { punycode: 'punycode/' };

const LEGACY_PARSE = 'const parse_url = Url.parse;';
const WHATWG_PARSE =
  'const parse_url = (text) => { const url = new Url.URL(text); return { ...Url.urlToHttpOptions(url), slashes: true, host: url.host, ' +
  "port: url.port || null, search: url.search || null, query: url.search ? url.search.slice(1) : null, hash: url.hash || null }; };";

export const nodeFetchPlugin = {
  name: 'node-fetch-whatwg-url',
  setup(build) {
    build.onLoad({ filter: /[\\/]node-fetch[\\/]lib[\\/]index\.(mjs|js)$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const source = await readFile(args.path, 'utf8');
      // A node-fetch that no longer has the line fails the build instead of silently warning again.
      if (!source.includes(LEGACY_PARSE)) throw new Error(`${args.path}: '${LEGACY_PARSE}' not found; revisit scripts/esbuild-node-fetch.mjs`);
      return { contents: source.replace(LEGACY_PARSE, WHATWG_PARSE), loader: 'js' };
    });
  },
};
