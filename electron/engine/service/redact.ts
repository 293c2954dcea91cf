/**
 * Redaction for everything that leaves the process as text: logs, notifications, IPC error messages.
 * The patterns live in `shared/ipc/redact.ts` (pure, so the dispatcher can use them); this module adds the
 * exact stored secret values and a logger that cannot be used without redaction.
 */
import { redact as redactPatterns } from '../../../shared/ipc/redact.js';

export { redactPatterns };

/** The exact secret strings currently in use, so they are masked even when they match no pattern. */
export class KnownSecrets {
  private readonly values = new Set<string>();
  remember(values: Iterable<string | undefined>): void {
    for (const v of values) if (v && v.length >= 4) this.values.add(v);
  }
  forget(values: Iterable<string | undefined>): void {
    for (const v of values) if (v) this.values.delete(v);
  }
  list(): string[] {
    // Longest first, so a secret that contains another is masked whole.
    return [...this.values].sort((a, b) => b.length - a.length);
  }
}

export const knownSecrets = new KnownSecrets();

export function redact(text: string, known: KnownSecrets = knownSecrets): string {
  return redactPatterns(text, known.list());
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  error(message: string, ...rest: unknown[]): void;
  child(scope: string): Logger;
}

export type LogSink = (level: LogLevel, line: string) => void;

const consoleSink: LogSink = (level, line) => {
  // stderr for everything: stdout may be a pipe the headless CLI uses for data.
  process.stderr.write(`${line}\n`);
  void level;
};

function stringify(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Every line goes through `redact` after formatting, so no argument (error, object, URL) can bypass it. */
export function createLogger(
  opts: { scope?: string; sink?: LogSink; known?: KnownSecrets; now?: () => number; level?: LogLevel } = {},
): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  const min = order.indexOf(opts.level ?? 'info');
  const sink = opts.sink ?? consoleSink;
  const known = opts.known ?? knownSecrets;
  const now = opts.now ?? Date.now;
  const write = (level: LogLevel, message: string, rest: unknown[]) => {
    if (order.indexOf(level) < min) return;
    const text = [message, ...rest.map(stringify)].join(' ');
    const scope = opts.scope ? ` [${opts.scope}]` : '';
    sink(level, redact(`${new Date(now()).toISOString()} ${level.toUpperCase()}${scope} ${text}`, known));
  };
  return {
    debug: (m, ...r) => write('debug', m, r),
    info: (m, ...r) => write('info', m, r),
    warn: (m, ...r) => write('warn', m, r),
    error: (m, ...r) => write('error', m, r),
    child: (scope) => createLogger({ ...opts, scope: opts.scope ? `${opts.scope}:${scope}` : scope }),
  };
}
