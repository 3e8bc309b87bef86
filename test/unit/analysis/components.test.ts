import { describe, expect, it } from '@jest/globals';
import { MAX_COMPONENTS, componentsInLine, extractComponents, stripWorkspacePrefixes } from '../../../src/analysis/components.ts';

describe('components', () => {
  it.each([
    ['src/foo.ts:12:5 - error TS2322: Type', 'src/foo.ts'],
    ['    at Object.<anonymous> (/home/runner/work/r/r/src/a.test.js:10:3)', 'src/a.test.js'],
    ['  File "/app/x.py", line 3, in <module>', 'x.py'],
    ['main.go:10:2: undefined: widgets', 'main.go'],
    ['[ERROR] /home/travis/build/o/r/src/main/java/A.java:[12,5] cannot find symbol', 'src/main/java/A.java'],
    ['  --> src/lib.rs:3:5', 'src/lib.rs'],
    ['D:\\a\\shop\\shop\\src\\Cart.cs(20,40): error CS0103: The name does not exist', 'src/Cart.cs'],
    ['/Users/runner/work/shop/shop/Sources/Cart.swift:47:19: error: cannot find', 'Sources/Cart.swift'],
    ['/__w/shop/shop/lib/cart.rb:12:in `add\'', 'lib/cart.rb'],
    ['FAIL src/cart.test.ts', 'src/cart.test.ts'],
    ['FAILED tests/test_cart.py::test_total - AssertionError', 'tests/test_cart.py'],
    ['        on line 86 of sass/components/dropdown.sass', 'sass/components/dropdown.sass'],
    ['FAIL Bug#71412 ArrayIterator reflection parameter info [ext/spl/tests/bug71412.phpt]', 'ext/spl/tests/bug71412.phpt'],
    ['/home/travis/gopath/src/github.com/ethereum/go-ethereum/p2p/peer_test.go:235: failed', 'p2p/peer_test.go'],
  ])('%s -> %s', (line, expected) => {
    expect(componentsInLine(line)).toContain(expected);
  });

  it('names modules from go test, cargo and maven summaries', () => {
    expect(componentsInLine('FAIL\tgithub.com/ethereum/go-ethereum/p2p/simulations\t10.291s')).toEqual([
      'github.com/ethereum/go-ethereum/p2p/simulations',
    ]);
    expect(componentsInLine('error: could not compile `ripgrep` due to 2 previous errors')).toEqual(['ripgrep']);
  });

  it('ignores dependency, runtime and temp frames', () => {
    const lines = [
      '    at Module._compile (node:internal/modules/cjs/loader.js:1105:14)',
      '    at Object.<anonymous> (/home/runner/work/r/r/node_modules/jest-circus/build/utils.js:10:3)',
      '  File "/usr/lib/python3.6/http/client.py", line 1331, in getresponse',
      '  File "/home/travis/virtualenv/python3.7/lib/python3.7/site-packages/_pytest/runner.py", line 9',
      '# /home/travis/build/discourse/discourse/vendor/bundle/ruby/2.6.0/gems/bootsnap-1.4.4/lib/bootsnap/x.rb:54:in `load\'',
      '\tat java.lang.reflect.Method.invoke(Method.java:498)',
      '/tmp/tmp.7muyWDlizz/out.js:1:1',
      '  /home/travis/.cargo/registry/src/github.com-1ecc6299db9ec823/linked_list_allocator-0.5.0/src/lib.rs:139:5',
    ];
    expect(extractComponents(lines)).toEqual([]);
  });

  it("keeps Go's internal/ packages but drops Node's own internal modules", () => {
    expect(componentsInLine('internal/store/postgres.go:87:15: undefined: pgx.ErrNoRowz')).toEqual(['internal/store/postgres.go']);
    expect(componentsInLine('    at Module._compile (node:internal/modules/cjs/loader.js:1256:14)')).toEqual([]);
    expect(componentsInLine('    at process.processTicksAndRejections (internal/process/task_queues.js:95:5)')).toEqual([]);
  });

  it('does not name files from lines that report success', () => {
    expect(extractComponents(['PASS src/catalog/search.test.ts (5.12 s)', 'ok  \tgithub.com/acme/inv/pkg/api\t0.41s', 'FAIL src/cart/cart.test.ts'])).toEqual(['src/cart/cart.test.ts']);
  });

  it('does not mistake URLs or domains for files', () => {
    expect(componentsInLine("fatal: unable to access 'https://github.com/vim/vim/index.html': Empty reply")).toEqual([]);
    expect(componentsInLine('curl: (6) Could not resolve host: cli-assets.heroku.com')).toEqual([]);
  });

  it('deduplicates in order of first appearance and stops at the bound', () => {
    const lines = ['src/b.ts:1:1 error', 'src/a.ts:2:2 error', 'src/b.ts:3:3 error'];
    expect(extractComponents(lines)).toEqual(['src/b.ts', 'src/a.ts']);
    const many = Array.from({ length: 50 }, (_, i) => `src/file${i}.ts:1:1 - error TS1005: ';' expected.`);
    const out = extractComponents(many);
    expect(out).toHaveLength(MAX_COMPONENTS);
    expect(out[0]).toBe('src/file0.ts');
  });

  it('strips the workspace prefixes of the CI systems we see', () => {
    expect(stripWorkspacePrefixes('/home/runner/work/shop/shop/src/a.ts')).toBe('src/a.ts');
    expect(stripWorkspacePrefixes('D:\\a\\shop\\shop\\src\\a.ts')).toBe('src/a.ts');
    expect(stripWorkspacePrefixes('/home/travis/build/o/r/src/a.ts')).toBe('src/a.ts');
    expect(stripWorkspacePrefixes('/opt/actions-runner/_work/shop/shop/src/a.ts')).toBe('src/a.ts');
    expect(stripWorkspacePrefixes('./src/a.ts')).toBe('src/a.ts');
  });

  it('stays fast on a pathological line', () => {
    const started = performance.now();
    extractComponents(['a'.repeat(1_000_000), `${'x/'.repeat(5000)}y`]);
    // Not a benchmark: a generous bound that only catastrophic backtracking would exceed.
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
