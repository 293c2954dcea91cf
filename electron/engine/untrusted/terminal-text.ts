/**
 * Text on its way to a terminal (also to the tray menu and OS notifications, where the same characters reorder or
 * break what the user reads). Lines the headless CLI prints carry text other people wrote: a ClearML server's
 * error message, task and worker names, EC2 tag values, a teammate engine's host name. A terminal acts on control
 * characters in them: an escape sequence can clear the screen, move the cursor over earlier lines, hide text, set
 * the window title or make a link; a carriage return overwrites the line; a BiDi override reverses what follows.
 * Each such character is shown as its code instead (`\u001b`), so the line says what arrived and does nothing.
 *
 * The colours the view paints itself (picocolors' bold, dim, red, green, yellow, cyan and their resets) pass: the
 * check runs on whole lines, where ours and a server's look alike, and a colour change is all one of these can do.
 */

/** Exactly the SGR sequences `Paint` in cli/view.ts produces. */
// eslint-disable-next-line no-control-regex
const OWN_SGR = /^\x1b\[(?:1|2|22|31|32|33|36|39)m$/;

/**
 * C0 and C1 controls and DEL, the Unicode line and paragraph separators, and the bidirectional marks, embeddings,
 * overrides and isolates; a whole own SGR sequence is matched first so it can be kept.
 */
const UNSAFE =
  // eslint-disable-next-line no-control-regex
  /\x1b\[(?:1|2|22|31|32|33|36|39)m|[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export interface TerminalTextOptions {
  /** Keep `\n` (text of several lines, such as the usage); otherwise it is shown as a code like the rest. */
  newlines?: boolean;
}

/** The text with every character a terminal would act on shown as its `\uXXXX` code; tabs are kept. */
export function terminalText(text: string, opts: TerminalTextOptions = {}): string {
  return text.replace(UNSAFE, (c) => {
    if (OWN_SGR.test(c) || c === '\t' || (c === '\n' && opts.newlines === true)) return c;
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
