/**
 * The one gate in front of every parser of text we did not write (a config file, an imported YAML, a pasted
 * clearml.conf, the JSON settings file): size, nesting and entry-count bounds, checked by a linear scan before the
 * parser runs. The `yaml` package needs time and memory that grow faster than the input on deep flow collections
 * (`[[[[…`), chains of complex keys (`? ? ? …`) and many keys in one map, so one crafted kilobyte could stall or kill
 * the process (a V8 out-of-memory abort cannot be caught). A real config is a few kilobytes, a few levels deep.
 *
 * The first scan over-counts on purpose (brackets inside quoted text count too): an under-count would be a crash.
 * For YAML, a text it refuses is scanned again counting only the brackets and commas the YAML lexer reads as
 * structure, so a bash script full of `[[` in a block scalar is not called nested.
 */
import { CST, Lexer } from 'yaml';

export interface TextLimits {
  maxBytes: number;
  /** Nesting: open brackets, plus (YAML) indentation levels and `- ` / `? ` / `: ` chains on one line. */
  maxDepth: number;
  /** Lines plus flow separators (`,`): a bound on how many nodes the parser builds. */
  maxEntries: number;
}

/** Config files and imports (ours, ClearML's autoscaler YAML, JSON): generous for any real config. */
export const CONFIG_TEXT_LIMITS: TextLimits = { maxBytes: 256 * 1024, maxDepth: 64, maxEntries: 8000 };
/** `clearml.conf`: usually under 10 KB; ClearML's own default file is about 25 KB with its comments. */
export const CLEARML_CONF_LIMITS: TextLimits = { maxBytes: 256 * 1024, maxDepth: 64, maxEntries: 20000 };
/** The app's own JSON settings file (headless and preview): written by us, readable by anyone who edits it. */
export const SETTINGS_JSON_LIMITS: TextLimits = { maxBytes: 1024 * 1024, maxDepth: 64, maxEntries: 100000 };

export type GuardFailure =
  | { code: 'too-large'; bytes: number; limit: number }
  | { code: 'too-deep'; depth: number; limit: number; line: number }
  | { code: 'too-many-entries'; entries: number; limit: number };

export type Syntax = 'yaml' | 'hocon' | 'json';

/** Null when the text is within the limits. Linear in the text; stops at the first bound crossed. */
export function checkText(text: string, limits: TextLimits, syntax: Syntax): GuardFailure | null {
  // UTF-8 bytes never exceed 3 per UTF-16 unit; count exactly only near the limit.
  if (text.length * 3 > limits.maxBytes) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > limits.maxBytes) return { code: 'too-large', bytes, limit: limits.maxBytes };
  }
  const rough = scan(text, limits, syntax, null);
  if (rough === null || syntax !== 'yaml' || rough.code === 'too-large') return rough;
  // The rough scan counted brackets and commas inside text too (a bash script's `[[`, a HOCON block in a string).
  // Before refusing, count again only those the YAML lexer reads as flow indicators: the lexer is the parser's own
  // first stage, linear, and builds nothing nested, so this count is the parser's.
  const flow = flowIndicators(text);
  return flow === null ? rough : scan(text, limits, syntax, flow);
}

/**
 * Marks the offsets of the YAML flow indicators `[ ] { } ,` that start or end a flow collection or separate its
 * entries; null when the lexer's tokens do not line up with the text (then nothing is discounted).
 */
function flowIndicators(text: string): Uint8Array | null {
  const marks = new Uint8Array(text.length);
  let at = 0;
  for (const token of new Lexer().lex(text)) {
    // The lexer's zero-width markers (document start, flow end, scalar) are not in the text.
    if (token === '\x02' || token === '\x18' || token === '\x1f') continue;
    const type = CST.tokenType(token);
    if (
      type === 'flow-seq-start' ||
      type === 'flow-seq-end' ||
      type === 'flow-map-start' ||
      type === 'flow-map-end' ||
      type === 'comma'
    ) {
      if (text[at] !== token) return null;
      marks[at] = 1;
    }
    at += token.length;
  }
  return at === text.length ? marks : null;
}

function scan(text: string, limits: TextLimits, syntax: Syntax, flow: Uint8Array | null): GuardFailure | null {
  let bracket = 0;
  let entries = 0;
  let line = 1;
  /** YAML block structure: the indentation of each open level, innermost last. */
  const indents: number[] = [];
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (atLineStart) {
      atLineStart = false;
      if (syntax === 'yaml') {
        let j = i;
        while (j < text.length && (text[j] === ' ' || text[j] === '\t')) j++;
        if (j < text.length && text[j] !== '\n' && text[j] !== '\r' && text[j] !== '#') {
          const indent = j - i;
          while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
          indents.push(indent);
          let chain = 0;
          while (j < text.length && '-?:'.includes(text[j]!) && (j + 1 >= text.length || /\s/.test(text[j + 1]!))) {
            chain++;
            j++;
            while (j < text.length && (text[j] === ' ' || text[j] === '\t')) j++;
          }
          const depth = indents.length + chain + bracket;
          if (depth > limits.maxDepth) return { code: 'too-deep', depth, limit: limits.maxDepth, line };
        }
      }
    }
    if (c === 10 /* \n */) {
      line++;
      entries++;
      atLineStart = true;
    } else if (flow !== null && flow[i] === 0) {
      // text, not structure
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      bracket++;
      const depth = bracket + (syntax === 'yaml' ? indents.length : 0);
      if (depth > limits.maxDepth) return { code: 'too-deep', depth, limit: limits.maxDepth, line };
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      if (bracket > 0) bracket--;
    } else if (c === 44 /* , */) {
      entries++;
    }
    if (entries > limits.maxEntries) return { code: 'too-many-entries', entries, limit: limits.maxEntries };
  }
  return null;
}

/** The failure as a sentence that says what to do; `what` names the input ("the config file", "clearml.conf"). */
export function describeGuardFailure(f: GuardFailure, what: string): string {
  switch (f.code) {
    case 'too-large':
      return `${what} is ${f.bytes} bytes, more than a config can be (${f.limit}); is it the right file?`;
    case 'too-deep':
      return `${what} is nested ${f.depth} levels deep near line ${f.line} (at most ${f.limit}); it is not a config this app can read`;
    case 'too-many-entries':
      return `${what} has more than ${f.limit} lines or list items; it is not a config this app can read`;
  }
}

export class UntrustedTextError extends Error {
  override name = 'UntrustedTextError';
  constructor(
    readonly failure: GuardFailure,
    what: string,
  ) {
    super(describeGuardFailure(failure, what));
  }
}

/** Throws UntrustedTextError when the text crosses a bound; for parsers whose callers already catch errors. */
export function assertText(text: string, limits: TextLimits, syntax: Syntax, what: string): void {
  const f = checkText(text, limits, syntax);
  if (f) throw new UntrustedTextError(f, what);
}
