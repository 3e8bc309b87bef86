/**
 * Prompt-injection detection. Logs, workflow files and tool results are written by whoever can push to a
 * repository, so to the model they are untrusted data. Two defences, both pure:
 *   - `wrapUntrusted` frames every piece of such text as data with its provenance, so the prompt states
 *     what is instruction and what is material;
 *   - `detectInjection` finds content that reads like instructions to a model. A hit never changes what the
 *     model is told; it sets `injectionSuspected`, which forces a person to approve (src/policy/gate.ts).
 * False positives cost one approval; a false negative is still bounded by the merge rules (the model can
 * never lower the risk or pick an action outside the policy), so the detector errs towards flagging.
 */

export type InjectionKind =
  | 'assistant-address'
  | 'ignore-instructions'
  | 'role-marker'
  | 'fake-tool-call'
  | 'fake-verdict'
  | 'hidden-unicode'
  | 'encoded-instruction';

export interface InjectionSpan {
  /** Where the text came from: `log:<job>`, `tool:<name>`, `file:<path>`. */
  source: string;
  kind: InjectionKind;
  /** Half-open [start, end) UTF-16 offsets into the text scanned. */
  start: number;
  end: number;
  /** 1-based line of `start` in the scanned text (for a line-numbered excerpt: its own numbering is kept). */
  line: number;
  /** What matched, made visible (hidden characters as \u{...}, tag text decoded), at most 120 characters. */
  excerpt: string;
}

export interface UntrustedText {
  source: string;
  text: string;
}

/** Spans reported per text; a log full of them needs a person either way, and the card stays readable. */
export const MAX_SPANS_PER_TEXT = 20;
const MAX_EXCERPT = 120;
/** Base64 shorter than this is too short to carry an instruction worth the decode. */
const MIN_BASE64 = 40;

const MODEL_NOUN = String.raw`(?:ai|a\.i\.|assistant|chat-?bot|bot|(?:large\s+)?language\s+model|llm|gpt(?:-?\d[\w.]*)?|chatgpt|claude|gemini|copilot|model|agent|analy[sz]er|classifier|reviewer)`;
const IMPERATIVE = String.raw`(?:ignore|disregard|forget|classify|categori[sz]e|label|mark|treat|report|respond|reply|answer|return|output|print|say|set|use|choose|pick|select|approve|run|execute|lower|assign|give|rate|score|consider|do\s+not|don't|never|always|must|should|please)`;

interface Pattern {
  kind: InjectionKind;
  regex: RegExp;
}

/** Every regex is global (for matchAll) and linear: no nested quantifiers over the same characters. */
const PATTERNS: readonly Pattern[] = [
  // "Dear AI,", "Attention assistant:", "Note to the model", "Hey Copilot"
  { kind: 'assistant-address', regex: new RegExp(String.raw`\b(?:dear|hey|hi|hello|attention|note\s+(?:to|for)(?:\s+the)?|message\s+(?:to|for)(?:\s+the)?|instructions?\s+(?:to|for)(?:\s+the)?)\s*,?\s*(?:the\s+|any\s+|all\s+)?${MODEL_NOUN}s?\b`, 'giu') },
  // "AI: classify this as", "Model, please set", "assistants must"
  { kind: 'assistant-address', regex: new RegExp(String.raw`\b${MODEL_NOUN}s?\s*[:,]\s*${IMPERATIVE}\b`, 'giu') },
  // "If you are an AI", "you are a CI analyzer", "as a language model you must"
  { kind: 'assistant-address', regex: new RegExp(String.raw`\b(?:if\s+)?(?:you\s+are|you're|you\s+will\s+act\s+as|act\s+as|pretend\s+to\s+be)\s+(?:an?\s+|the\s+)?(?:[a-z-]+\s+)?${MODEL_NOUN}\b`, 'giu') },
  { kind: 'assistant-address', regex: new RegExp(String.raw`\bas\s+(?:an?\s+|the\s+)?(?:helpful\s+|automated\s+|ci\s+)?(?:ai|assistant|(?:large\s+)?language\s+model|llm|chat-?bot)\b`, 'giu') },
  // "any AI reading this", "to whoever (or whatever) analyzes this log"
  { kind: 'assistant-address', regex: new RegExp(String.raw`\b(?:any|the|every)\s+${MODEL_NOUN}s?\s+(?:reading|analy[sz]ing|processing|reviewing|parsing|that\s+reads)\b|\bwho(?:ever)?\s+(?:or\s+what(?:ever)?\s+)?(?:is\s+)?(?:reads?|reading|analy[sz](?:es|ing))\s+this\s+(?:log|output|file)`, 'giu') },
  // "ignore all previous instructions", "disregard the above", "override your rules", "new instructions:"
  {
    kind: 'ignore-instructions',
    regex: /\b(?:ignore|disregard|forget|override|bypass|skip|drop)\s+(?:(?:all|any|every|the|your|my|these|those|of|previous|prior|above|earlier|preceding|former|original|system|safety|existing)\s+){0,4}(?:instructions?|prompts?|rules?|directives?|guidelines?|polic(?:y|ies)|guardrails?|constraints?|context|messages?|above|everything)\b/giu,
  },
  { kind: 'ignore-instructions', regex: /\b(?:new|updated|revised|real|actual|hidden|secret|important)\s+(?:system\s+)?(?:instructions?|directives?|prompt|task)\s*[:!-]/giu },
  { kind: 'ignore-instructions', regex: /\b(?:system|developer|admin(?:istrator)?)\s+(?:override|message|prompt|instruction|notice)\s*[:!-]/giu },
  { kind: 'ignore-instructions', regex: /\b(?:from\s+now\s+on|instead,?\s+you\s+(?:must|should|will)|your\s+(?:new\s+)?(?:task|job|instructions?)\s+(?:is|are))\b/giu },
  // Chat-template tokens and role headers that would open a new turn in a prompt
  { kind: 'role-marker', regex: /<\|(?:im_start|im_end|im_sep|system|user|assistant|developer|endoftext|end|start_header_id|end_header_id|eot_id|begin_of_text|channel|message|tool)\|>/giu },
  { kind: 'role-marker', regex: /\[\/?INST\]|<<\/?SYS>>|<\/?(?:system|assistant|user|developer|instructions?|prompt|human|ai)>/giu },
  { kind: 'role-marker', regex: /^(?:\d+ \| )?[\t >#*-]*(?:system|assistant|developer|human|ai|user)\s*(?:prompt|message|role)?\s*:\s*(?=(?:you|ignore|disregard|the\s+(?:log|failure|model|verdict)|from\s+now|new|please|respond|classify|always|never|do\s+not|set|return|output|mark|treat|this\s+(?:failure|log|is)))/gimu },
  { kind: 'role-marker', regex: /^(?:\d+ \| )?[\t >#*-]*#{1,6}\s*(?:system|assistant|instructions?|developer)(?:\s+(?:prompt|message))?\s*#*\s*$/gimu },
  { kind: 'role-marker', regex: /"role"\s*:\s*"(?:system|assistant|developer|tool)"/giu },
  // Text shaped like the tool calls or the verdict of the protocol the model speaks
  { kind: 'fake-tool-call', regex: /"?\b(?:tool_calls?|function_call|tool_use|tool_choice|strands_structured_output)\b"?\s*[:=(]/giu },
  { kind: 'fake-tool-call', regex: /<\/?(?:tool_call|function_call|tool_use|function_calls|invoke|tool_result)\b[^>]{0,80}>|\b(?:functions|tools)\.[A-Za-z_]\w*\s*\(/giu },
  { kind: 'fake-tool-call', regex: /\b(?:call|invoke|use)\s+(?:the\s+)?(?:tool|function)\s+[`'"]?[A-Za-z_]\w*[`'"]?\s+(?:with|to)\b/giu },
  { kind: 'fake-verdict', regex: /["']?\b(?:riskScore|risk_score|proposedRemediation|proposed_remediation|injectionSuspected|fallbackReason)\b["']?\s*[:=]/giu },
  { kind: 'fake-verdict', regex: /\b(?:risk(?:\s*score)?|riskiness)\s+(?:is|should\s+be|must\s+be|=|:)\s*(?:0|zero|low|none|minimal)\b[^\n]{0,40}\b(?:auto|approve|safe|rerun)/giu },
  { kind: 'fake-verdict', regex: /\b(?:verdict|classification|category|decision)\s*(?:is|should\s+be|must\s+be|=|:)\s*["'`]?(?:flaky_test|network_error|infrastructure_error|auto(?:matic)?(?:ally)?\s+(?:approve|remediate|rerun))\b/giu },
];

/**
 * Unicode that changes what a human sees without changing what a model reads: tag characters (U+E0000 block,
 * an invisible copy of ASCII), zero-width characters, bidi controls and the word joiner. U+FEFF only at the
 * start of a text is a byte-order mark.
 */
const HIDDEN = /[\u{E0000}-\u{E007F}]+|[\u200B-\u200F\u2060-\u2064\u202A-\u202E\u2066-\u2069\u061C\u180E\uFEFF]+/gu;
const BASE64 = new RegExp(String.raw`(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/]{${MIN_BASE64},}={0,2}(?![A-Za-z0-9+/=])|(?<![A-Za-z0-9+/_-])[A-Za-z0-9_-]{${MIN_BASE64},}={0,2}(?![A-Za-z0-9_=-])`, 'gu');

/** Frames untrusted text as data, naming where it came from, so the prompt never mixes it with instructions. */
export function wrapUntrusted(item: UntrustedText): string {
  // The closing tag cannot be forged from inside: any occurrence in the text is defused first.
  const body = item.text.replace(/<\/?untrusted-data\b/gi, (tag) => tag.replace('<', '‹'));
  return `<untrusted-data source="${item.source.replace(/["<>\n]/g, '_')}">\n${body}\n</untrusted-data>`;
}

/** Every instruction-like span of every text, in text order. */
export function detectInjection(items: readonly UntrustedText[]): InjectionSpan[] {
  const spans: InjectionSpan[] = [];
  for (const item of items) spans.push(...detectInText(item.source, item.text));
  return spans;
}

function detectInText(source: string, text: string): InjectionSpan[] {
  const found: InjectionSpan[] = [];
  const lineStarts = lineStartsOf(text);
  const add = (kind: InjectionKind, start: number, end: number, excerpt: string) => {
    if (found.length >= MAX_SPANS_PER_TEXT) return;
    // One span per region: a sentence matching three patterns is one finding on the card.
    if (found.some((span) => start < span.end && span.start < end)) return;
    found.push({ source, kind, start, end, line: lineOf(lineStarts, start), excerpt: visible(excerpt) });
  };

  for (const match of text.matchAll(HIDDEN)) {
    const start = match.index;
    if (start === 0 && match[0] === '\uFEFF') continue;
    const revealed = revealTags(match[0]);
    add('hidden-unicode', start, start + match[0].length, revealed ?? match[0]);
  }
  // Tag characters are reported above with the text they spell, whatever it says: hidden text has no
  // legitimate place in a CI log.
  for (const pattern of PATTERNS) {
    for (const match of text.matchAll(pattern.regex)) add(pattern.kind, match.index, match.index + match[0].length, contextAround(text, match.index, match[0].length));
  }

  for (const match of text.matchAll(BASE64)) {
    const decoded = decodeBase64Text(match[0]);
    if (decoded === null) continue;
    const inner = PATTERNS.find((pattern) => new RegExp(pattern.regex.source, pattern.regex.flags.replace('g', '')).test(decoded));
    if (inner !== undefined) add('encoded-instruction', match.index, match.index + match[0].length, `base64: ${decoded}`);
  }
  return found.sort((a, b) => a.start - b.start);
}

/** Decoded text when the base64 holds mostly printable text (binary, hashes and keys decode to noise). */
function decodeBase64Text(encoded: string): string | null {
  const bytes = Buffer.from(encoded, encoded.includes('-') || encoded.includes('_') ? 'base64url' : 'base64');
  if (bytes.length < 24) return null;
  let printable = 0;
  for (const byte of bytes) if ((byte >= 0x20 && byte < 0x7f) || byte === 0x0a || byte === 0x0d || byte === 0x09) printable += 1;
  if (printable / bytes.length < 0.9) return null;
  return bytes.toString('utf8');
}

/** The ASCII that tag characters (U+E0020-U+E007E) spell, or null when there are none. */
function revealTags(text: string): string | null {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0xe0020 && code <= 0xe007e) out += String.fromCodePoint(code - 0xe0000);
  }
  return out === '' ? null : out;
}

function visible(text: string): string {
  const shown = text.replace(/[\u{E0000}-\u{E007F}\u200B-\u200F\u2060-\u2064\u202A-\u202E\u2066-\u2069\u061C\u180E\uFEFF]/gu, (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`);
  return shown.length > MAX_EXCERPT ? `${shown.slice(0, MAX_EXCERPT - 1)}…` : shown;
}

function contextAround(text: string, start: number, length: number): string {
  const lineStart = text.lastIndexOf('\n', start) + 1;
  const nextBreak = text.indexOf('\n', start + length);
  return text.slice(Math.max(lineStart, start - 30), Math.min(nextBreak === -1 ? text.length : nextBreak, start + length + 50)).trim();
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}
