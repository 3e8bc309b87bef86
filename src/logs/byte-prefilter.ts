/**
 * The prefilter as a DFA over bytes: POSIX ERE sources (the subset SIGNAL_PATTERNS uses) matched
 * case-insensitively on the UTF-8 bytes of a line, with one table lookup per byte. A V8 regex with dozens of
 * case-insensitive alternatives runs at ~20 MB/s over a CI log; this table runs at several hundred MB/s, and it
 * means the same thing as `grep -E -i` under LC_ALL=C (bench/throughput.ts compares the two).
 *
 * Supported syntax: literals (non-ASCII ones become their UTF-8 byte sequence), `\x` escapes, ASCII bracket
 * expressions with ranges and `^` negation, groups, `|`, `?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}`, `^` and `$`.
 * Unescaped `.` is rejected: on bytes it would match one byte of a multi-byte character where a JS regex matches
 * the whole character, so the two definitions would disagree. Case folding is ASCII only, as in the C locale.
 */

/** Transition results at or above this are not states: the scan loop leaves its tight loop on them. */
export const SPECIAL = 0xfffc;
/** Not computed yet: call `BytePrefilter.next` (the DFA is built lazily, so start-up pays only for what it uses). */
export const UNKNOWN = 0xfffc;
/** The line matched; nothing more of it needs scanning. */
export const ACCEPT = 0xfffd;
/** End of line (the `\n` byte) without a match. */
export const NL = 0xfffe;
/** End of line where a `$`-anchored pattern matched. */
export const NL_MATCH = 0xffff;

export interface BytePrefilter {
  /**
   * `table[(state << 8) | byte]` is the next state, ACCEPT, NL, NL_MATCH, or UNKNOWN. The table grows as states
   * are discovered: read this property again after calling `next`.
   */
  readonly table: Uint16Array;
  /** The state at the start of a line. */
  readonly start: number;
  /** States discovered so far. */
  readonly states: number;
  /** The transition, computed (and stored in `table`) if it was UNKNOWN. */
  next(state: number, byte: number): number;
}

/** Whether the bytes `[start, end)` of one line (without its `\n`) match. */
export function prefilterMatches(prefilter: BytePrefilter, bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  let state = prefilter.start;
  for (let i = start; i < end; i++) {
    state = prefilter.next(state, bytes[i]!);
    if (state === ACCEPT) return true;
    // A `\n` inside the range ends a line: the range is one line, so treat it as the end.
    if (state >= SPECIAL) return state === NL_MATCH;
  }
  return prefilter.next(state, 10) === NL_MATCH;
}

type Node =
  | { t: 'set'; set: Uint8Array }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number }
  | { t: 'bol' }
  | { t: 'eol' };

class Parser {
  readonly source: string;
  #pos = 0;

  constructor(source: string) {
    this.source = source;
  }

  parse(): Node {
    const node = this.#alt();
    if (this.#pos < this.source.length) this.#fail('unexpected )');
    return node;
  }

  #fail(message: string): never {
    throw new Error(`byte prefilter: ${message} at ${this.#pos} in /${this.source}/`);
  }

  #peek(): string | undefined {
    return this.source[this.#pos];
  }

  #alt(): Node {
    const items = [this.#seq()];
    while (this.#peek() === '|') {
      this.#pos++;
      items.push(this.#seq());
    }
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  }

  #seq(): Node {
    const items: Node[] = [];
    for (let c = this.#peek(); c !== undefined && c !== '|' && c !== ')'; c = this.#peek()) items.push(this.#repeat());
    return { t: 'seq', items };
  }

  #repeat(): Node {
    let node = this.#atom();
    for (;;) {
      const c = this.#peek();
      if (c === '?') node = { t: 'rep', node, min: 0, max: 1 };
      else if (c === '*') node = { t: 'rep', node, min: 0, max: Infinity };
      else if (c === '+') node = { t: 'rep', node, min: 1, max: Infinity };
      else if (c === '{') {
        const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.#pos));
        if (!match) this.#fail('bad interval');
        const min = Number(match[1]);
        const max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
        node = { t: 'rep', node, min, max };
        this.#pos += match[0].length - 1;
      } else return node;
      this.#pos++;
    }
  }

  #atom(): Node {
    const c = this.source[this.#pos]!;
    this.#pos++;
    switch (c) {
      case '(': {
        const node = this.#alt();
        if (this.#peek() !== ')') this.#fail('missing )');
        this.#pos++;
        return node;
      }
      case '[':
        return this.#bracket();
      case '^':
        return { t: 'bol' };
      case '$':
        return { t: 'eol' };
      case '.':
        return this.#fail('unescaped . (use an explicit bracket expression)');
      case '*':
      case '+':
      case '?':
      case '{':
        return this.#fail(`nothing to repeat with ${c}`);
      case '\\': {
        const escaped = this.source.codePointAt(this.#pos);
        if (escaped === undefined) this.#fail('trailing backslash');
        if (/[A-Za-z0-9]/.test(String.fromCodePoint(escaped))) this.#fail('escape classes are not supported');
        this.#pos += escaped > 0xffff ? 2 : 1;
        return literal(escaped);
      }
      default: {
        const code = this.source.codePointAt(this.#pos - 1)!;
        if (code > 0xffff) this.#pos++;
        return literal(code);
      }
    }
  }

  #bracket(): Node {
    const set = new Uint8Array(256);
    let negate = false;
    if (this.#peek() === '^') {
      negate = true;
      this.#pos++;
    }
    let first = true;
    for (;;) {
      const c = this.#peek();
      if (c === undefined) this.#fail('missing ]');
      if (c === ']' && !first) break;
      first = false;
      let low = c.charCodeAt(0);
      this.#pos++;
      if (low === 0x5c /* \ */) this.#fail('backslash in a bracket expression means different things to grep and JS');
      let high = low;
      if (this.#peek() === '-' && this.source[this.#pos + 1] !== ']' && this.source[this.#pos + 1] !== undefined) {
        high = this.source.charCodeAt(this.#pos + 1);
        this.#pos += 2;
      }
      if (low > 0x7f || high > 0x7f) this.#fail('non-ASCII in a bracket expression');
      for (; low <= high; low++) set[low] = 1;
    }
    this.#pos++;
    if (negate) {
      for (let b = 0; b < 256; b++) set[b] = set[b] ? 0 : 1;
      set[10] = 0;
    }
    return { t: 'set', set: fold(set) };
  }
}

function literal(code: number): Node {
  const bytes = Buffer.from(String.fromCodePoint(code), 'utf8');
  const items: Node[] = [...bytes].map((byte) => {
    const set = new Uint8Array(256);
    set[byte] = 1;
    return { t: 'set', set: fold(set) } as Node;
  });
  return items.length === 1 ? items[0]! : { t: 'seq', items };
}

/** ASCII case folding, as `grep -i` in the C locale and a JS regex with `i` (without `u`) on ASCII letters. */
function fold(set: Uint8Array): Uint8Array {
  for (let b = 0x41; b <= 0x5a; b++) {
    if (set[b] || set[b + 32]) set[b] = set[b + 32] = 1;
  }
  return set;
}

// NFA state kinds.
const EPS = 0;
const BYTE = 1;
const BOL = 2;
const EOL = 3;
const ACCEPTING = 4;

interface NfaState {
  kind: number;
  set?: Uint8Array;
  out: number[];
}

class Nfa {
  readonly states: NfaState[] = [];

  add(kind: number, out: number[], set?: Uint8Array): number {
    this.states.push(set ? { kind, out, set } : { kind, out });
    return this.states.length - 1;
  }

  /** Compiles `node` so that it continues at `next`; returns its entry state. */
  compile(node: Node, next: number): number {
    switch (node.t) {
      case 'set':
        return this.add(BYTE, [next], node.set);
      case 'bol':
        return this.add(BOL, [next]);
      case 'eol':
        return this.add(EOL, [next]);
      case 'seq': {
        let entry = next;
        for (let i = node.items.length - 1; i >= 0; i--) entry = this.compile(node.items[i]!, entry);
        return entry;
      }
      case 'alt':
        return this.add(EPS, node.items.map((item) => this.compile(item, next)));
      case 'rep': {
        let entry = next;
        if (node.max === Infinity) {
          const loop = this.add(EPS, []);
          this.states[loop]!.out = [this.compile(node.node, loop), next];
          entry = loop;
        } else {
          for (let i = node.min; i < node.max; i++) entry = this.add(EPS, [this.compile(node.node, entry), next]);
        }
        for (let i = 0; i < node.min; i++) entry = this.compile(node.node, entry);
        return entry;
      }
    }
  }

  /** The states reachable without reading a byte; `atBol` lets `^` pass, `atEol` lets `$` pass. */
  closure(seeds: Iterable<number>, atBol: boolean, atEol: boolean, into: Set<number> = new Set()): Set<number> {
    const stack = [...seeds];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (into.has(id)) continue;
      into.add(id);
      const state = this.states[id]!;
      if (state.kind === EPS || (state.kind === BOL && atBol) || (state.kind === EOL && atEol)) stack.push(...state.out);
    }
    return into;
  }
}

/** Compiles the patterns (any of them matching means a match) into a byte DFA, built lazily as it runs. */
export function compileBytePrefilter(patterns: readonly string[]): BytePrefilter {
  return new LazyDfa(patterns);
}

class LazyDfa implements BytePrefilter {
  table: Uint16Array;
  readonly start: number;
  readonly #nfa = new Nfa();
  readonly #accept: number;
  /** Bytes that every set treats alike share a class: a transition is computed once per class. */
  readonly #classOf = new Uint8Array(256);
  readonly #members: number[][] = [];
  readonly #ids = new Map<string, number>();
  readonly #inBase: Uint8Array;
  readonly #baseKept: number[];
  /** The NFA states reached from each byte-reading state, and what `base` reaches on each class. */
  readonly #after: number[][];
  readonly #baseStep: Array<Set<number> | undefined> = [];
  readonly #representative: number[] = [];

  constructor(patterns: readonly string[]) {
    const nfa = this.#nfa;
    this.#accept = nfa.add(ACCEPTING, []);
    const entries = patterns.map((source) => nfa.compile(new Parser(source).parse(), this.#accept));

    const signatures = new Map<string, number>();
    const byteSets = nfa.states.filter((state) => state.kind === BYTE).map((state) => state.set!);
    for (let b = 0; b < 256; b++) {
      const key = b === 10 ? 'nl' : byteSets.map((set) => set[b]).join('');
      let cls = signatures.get(key);
      if (cls === undefined) {
        cls = this.#representative.length;
        signatures.set(key, cls);
        this.#representative.push(b);
      }
      this.#classOf[b] = cls;
    }

    // Every DFA state holds `base` (a match may start at any byte), so a state is named by the rest only.
    const base = nfa.closure(entries, false, false);
    this.#baseKept = [...base].filter((id) => this.#kept(id));
    this.#inBase = new Uint8Array(nfa.states.length);
    for (const id of base) this.#inBase[id] = 1;
    this.#after = nfa.states.map((state) => (state.kind === BYTE ? [...nfa.closure(state.out, false, false)] : []));
    this.table = new Uint16Array(64 << 8).fill(UNKNOWN);
    this.start = this.#intern(nfa.closure(entries, true, false));
    if (this.start === ACCEPT) throw new Error('byte prefilter: a pattern matches the empty line');
  }

  get states(): number {
    return this.#members.length;
  }

  next(state: number, byte: number): number {
    const known = this.table[(state << 8) | byte]!;
    if (known !== UNKNOWN) return known;
    const cls = this.#classOf[byte]!;
    const target = this.#compute(state, cls);
    // Fill the whole class, after #compute may have grown the table.
    const table = this.table;
    for (let b = 0; b < 256; b++) if (this.#classOf[b] === cls) table[(state << 8) | b] = target;
    return target;
  }

  #kept(id: number): boolean {
    const kind = this.#nfa.states[id]!.kind;
    return kind === BYTE || kind === EOL;
  }

  #compute(state: number, cls: number): number {
    const members = this.#members[state]!;
    const byte = this.#representative[cls]!;
    if (byte === 10) return this.#nfa.closure([...members, ...this.#baseKept], false, true).has(this.#accept) ? NL_MATCH : NL;
    let fromBase = this.#baseStep[cls];
    if (!fromBase) {
      fromBase = this.#step(this.#baseKept, byte, new Set());
      this.#baseStep[cls] = fromBase;
    }
    return this.#intern(this.#step(members, byte, new Set(fromBase)));
  }

  #step(members: Iterable<number>, byte: number, into: Set<number>): Set<number> {
    for (const member of members) {
      const state = this.#nfa.states[member]!;
      if (state.kind === BYTE && state.set![byte]) for (const id of this.#after[member]!) into.add(id);
    }
    return into;
  }

  #intern(set: Set<number>): number {
    if (set.has(this.#accept)) return ACCEPT;
    const key: number[] = [];
    for (const id of set) if (!this.#inBase[id] && this.#kept(id)) key.push(id);
    key.sort((a, b) => a - b);
    const name = key.join(',');
    let id = this.#ids.get(name);
    if (id === undefined) {
      id = this.#members.length;
      if (id >= SPECIAL) throw new Error('byte prefilter: too many DFA states');
      this.#ids.set(name, id);
      this.#members.push(key);
      if ((id + 1) << 8 > this.table.length) {
        const grown = new Uint16Array(Math.min(SPECIAL, 2 * (this.table.length >> 8)) << 8).fill(UNKNOWN);
        grown.set(this.table);
        this.table = grown;
      }
    }
    return id;
  }
}

/**
 * Per-line verdicts for a block of complete lines: where each line's `\n` is, whether the DFA selected it, and,
 * for a line it read only up to the limit without a match, the state it stopped in.
 */
export class LineVerdicts {
  ends = new Int32Array(1024);
  matched = new Uint8Array(1024);
  states = new Uint16Array(1024);
  count = 0;

  push(end: number, matched: boolean, state: number): void {
    if (this.count === this.ends.length) {
      const grow = <T extends Int32Array | Uint8Array | Uint16Array>(from: T, to: T): T => {
        to.set(from);
        return to;
      };
      this.ends = grow(this.ends, new Int32Array(2 * this.count));
      this.matched = grow(this.matched, new Uint8Array(2 * this.count));
      this.states = grow(this.states, new Uint16Array(2 * this.count));
    }
    this.ends[this.count] = end;
    this.matched[this.count] = matched ? 1 : 0;
    this.states[this.count] = state;
    this.count++;
  }
}

/**
 * Classifies the complete lines of two blocks, `[a, aEnd)` and `[b, bEnd)` (each ending in `\n`), reading
 * each line's first `max` bytes. The two blocks are scanned together, one byte of each per step: a DFA step
 * waits on the previous one, and two independent chains keep the CPU busy twice as well.
 */
export function classifyLinePair(
  dfa: BytePrefilter,
  buf: Uint8Array,
  a: number,
  aEnd: number,
  b: number,
  bEnd: number,
  max: number,
  outA: LineVerdicts,
  outB: LineVerdicts,
): void {
  const start = dfa.start;
  let table = dfa.table;
  let lineA = a;
  let lineB = b;
  let ja = a;
  let jb = b;
  let sa = start;
  let sb = start;
  let stopA = Math.min(aEnd, lineA + max);
  let stopB = Math.min(bEnd, lineB + max);
  while (lineA < aEnd && lineB < bEnd) {
    while (ja < stopA && jb < stopB) {
      const pa = sa;
      const pb = sb;
      sa = table[(pa << 8) | buf[ja]!]!;
      sb = table[(pb << 8) | buf[jb]!]!;
      ja++;
      jb++;
      if (sa >= SPECIAL || sb >= SPECIAL) {
        if (sa === UNKNOWN) sa = dfa.next(pa, buf[ja - 1]!);
        if (sb === UNKNOWN) sb = dfa.next(pb, buf[jb - 1]!);
        table = dfa.table;
        if (sa >= SPECIAL || sb >= SPECIAL) break;
      }
    }
    if (sa >= SPECIAL || ja === stopA) {
      lineA = settle(dfa, buf, ja, sa, outA);
      ja = lineA;
      sa = start;
      stopA = Math.min(aEnd, lineA + max);
    }
    if (sb >= SPECIAL || jb === stopB) {
      lineB = settle(dfa, buf, jb, sb, outB);
      jb = lineB;
      sb = start;
      stopB = Math.min(bEnd, lineB + max);
    }
  }
  if (lineA < aEnd) classifyLines(dfa, buf, lineA, ja, sa, aEnd, max, outA);
  if (lineB < bEnd) classifyLines(dfa, buf, lineB, jb, sb, bEnd, max, outB);
}

/** The same for one block, resuming a line that starts at `line` and was read up to `j` (ending in `state`). */
export function classifyLines(
  dfa: BytePrefilter,
  buf: Uint8Array,
  line: number,
  j: number,
  state: number,
  end: number,
  max: number,
  out: LineVerdicts,
): void {
  const start = dfa.start;
  let table = dfa.table;
  while (line < end) {
    const stop = Math.min(end, line + max);
    while (j < stop) {
      const previous = state;
      state = table[(previous << 8) | buf[j]!]!;
      j++;
      if (state >= SPECIAL) {
        if (state !== UNKNOWN) break;
        state = dfa.next(previous, buf[j - 1]!);
        table = dfa.table;
        if (state >= SPECIAL) break;
      }
    }
    line = settle(dfa, buf, j, state, out);
    j = line;
    state = start;
  }
}

/**
 * Records the line whose DFA read stopped before `j` in `state`: on a special result for the byte at `j - 1`, or
 * at its limit (its first `max` bytes read). Returns where the next line starts.
 */
function settle(dfa: BytePrefilter, buf: Uint8Array, j: number, state: number, out: LineVerdicts): number {
  if (state === NL || state === NL_MATCH) {
    out.push(j - 1, state === NL_MATCH, dfa.start);
    return j;
  }
  const newline = buf.indexOf(10, j);
  if (state === ACCEPT) {
    out.push(newline, true, dfa.start);
  } else {
    // At the limit: a line of exactly `max` bytes ends here and is judged at its end; a longer one is judged by
    // the caller on the text it keeps, from `state`.
    out.push(newline, newline === j && dfa.next(state, 10) === NL_MATCH, state);
  }
  return newline + 1;
}
