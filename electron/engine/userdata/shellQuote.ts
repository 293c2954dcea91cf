/**
 * The one way a value enters a generated bash script: a single-quoted word, so nothing inside it is expanded,
 * split or executed. `'` cannot appear inside single quotes, so each one closes the quote, adds an escaped quote
 * and reopens: `it's` becomes `'it'\''s'`.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a shell value cannot contain a NUL byte');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * A here-document (`<<'DELIM'`, quoted so the body is taken literally) whose delimiter never occurs as a line of
 * the body, since that line would end the document early and run the rest as commands.
 */
export function literalHeredoc(command: string, delimiter: string, body: string): string {
  return heredoc(command, delimiter, body, true);
}

/**
 * An unquoted here-document: the shell expands `$VAR`, `$(cmd)` and backquotes in the body, as ClearML's autoscaler
 * writes `extra_clearml_conf`. Only for text the user asked to have expanded.
 */
export function expandingHeredoc(command: string, delimiter: string, body: string): string {
  return heredoc(command, delimiter, body, false);
}

function heredoc(command: string, delimiter: string, body: string, literal: boolean): string {
  if (body.includes('\0')) throw new Error('a here-document cannot contain a NUL byte');
  const lines = new Set(body.split('\n').map((l) => l.replace(/\r$/, '')));
  let delim = delimiter;
  for (let n = 1; lines.has(delim); n++) delim = `${delimiter}_${n}`;
  let text = body.endsWith('\n') || body === '' ? body : `${body}\n`;
  // In an expanding document, a last line ending in an odd number of backslashes escapes its newline: bash would
  // glue the delimiter onto it, never close the document and write the rest of the script into it. An empty line
  // after it takes the continuation, as the blank line before ClearML's own delimiter does, so the text comes out
  // as under ClearML (that last backslash dropped).
  if (!literal && /(^|[^\\])(\\\\)*\\\n$/.test(text)) text += '\n';
  return `${command} <<${literal ? `'${delim}'` : delim}\n${text}${delim}\n`;
}
