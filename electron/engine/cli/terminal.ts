/**
 * Writes the headless view. On a terminal: colour by level (unless NO_COLOR), and one status line at the bottom
 * that changes in place while event lines scroll above it (log-update keeps the two apart and handles wrapping).
 * Elsewhere (a pipe, a log file): plain lines, a timestamped status line only when it changes.
 */
import { createLogUpdate } from 'log-update';
import pc from 'picocolors';
import type { EngineEvent, Snapshot } from '../../../shared/domain.js';
import { terminalText } from '../untrusted/terminal-text.js';
import { clock, DayMarks, DecisionFilter, eventRow, noPaint, statusLine, type Paint } from './view.js';

export interface ViewSink {
  event(e: EngineEvent): void;
  status(s: Snapshot): void;
  /** A line that stays (info, warnings, the summary). */
  line(text: string): void;
  /** Removes the live status line before the process prints its last lines. */
  close(): void;
}

export interface TerminalStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

/** Where a command's lines go. */
export interface Out {
  write(line: string): void;
  /** Where the human view is drawn; a terminal gets colour and a live status line. Default: lines through write. */
  stream?: TerminalStream;
  /** Where a warning goes when the lines must stay pure data (CSV). Default: stderr. */
  warn?: (line: string) => void;
  /** Calls `then` once nobody reads the lines any more (a closed pipe); returns the unsubscribe. */
  onClosed?: (then: () => void) => () => void;
}

export function wantsLive(stream: TerminalStream): boolean {
  return stream.isTTY === true;
}

/** Colour on a terminal unless NO_COLOR is set (any value), per no-color.org; FORCE_COLOR forces it. */
export function wantsColor(stream: TerminalStream, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function createView(stream: TerminalStream, env: Readonly<Record<string, string | undefined>>): ViewSink {
  const colors = pc.createColors(wantsColor(stream, env));
  const paint: Paint = wantsColor(stream, env) ? colors : noPaint;
  const decisions = new DecisionFilter();
  const days = new DayMarks();
  /** An event row, after the day line when the row starts a new UTC day; one line whatever the event carries. */
  const rows = (e: EngineEvent): string[] => {
    const day = days.before(e.at);
    const row = terminalText(eventRow(e, paint));
    return day ? [paint.dim(day), row] : [row];
  };
  /** A line that stays (a warning may quote a server's message across lines). */
  const kept = (text: string) => terminalText(text, { newlines: true });
  if (wantsLive(stream)) {
    const live = createLogUpdate(stream as NodeJS.WriteStream, { showCursor: true });
    let current = '';
    const persist = (text: string) => {
      live.persist(text);
      if (current) live(current);
    };
    return {
      event: (e) => {
        for (const shown of decisions.event(e)) for (const r of rows(shown)) persist(r);
      },
      status: (s) => {
        for (const d of decisions.flush()) for (const r of rows(d)) live.persist(r);
        current = `${paint.dim('status')}  ${terminalText(statusLine(s, paint))}`;
        live(current);
      },
      line: (text) => persist(kept(text)),
      close: () => {
        for (const d of decisions.flush()) for (const r of rows(d)) live.persist(r);
        live.clear();
        current = '';
      },
    };
  }
  let lastStatus = '';
  const write = (text: string) => void stream.write(`${text}\n`);
  return {
    event: (e) => {
      for (const shown of decisions.event(e)) for (const r of rows(shown)) write(r);
    },
    status: (s) => {
      for (const d of decisions.flush()) for (const r of rows(d)) write(r);
      const text = terminalText(statusLine(s, paint));
      if (text === lastStatus) return;
      lastStatus = text;
      // Stamped when printed: the line says how things stand now.
      const now = Date.now();
      const day = days.before(now);
      if (day) write(paint.dim(day));
      write(`${paint.dim(clock(now))}  ${paint.dim('STATUS')} ${text}`);
    },
    line: (text) => write(kept(text)),
    close: () => {
      for (const d of decisions.flush()) for (const r of rows(d)) write(r);
    },
  };
}
