/**
 * The host's log line for a call that failed. What a remote caller (a browser preview tab, an attached teammate)
 * sends is someone else's text: the channel name and zod's issues echo it, so each line is made inert for a
 * terminal (a newline in a channel name would otherwise write a forged line such as "alice (admin): turned
 * autoscaling off"), and a remote caller can repeat a failing call at will, so its failures are written at most once
 * a minute per caller (per person for a teammate, so reconnecting does not start afresh), channel and code, with
 * how many there were. Calls from this machine's own app are written each time: the person reading the log made them.
 */
import type { AppError } from '../../../shared/ipc/contract.js';
import { isInvokeChannel, type CallContext } from '../../../shared/ipc/dispatch.js';
import { newLineTally, tallyLine, type LineTally } from '../ipc-ws/hub.js';
import { terminalText } from '../untrusted/terminal-text.js';

/** Kinds of failure tallied at once; the oldest go first, so a caller inventing channel names cannot grow it. */
const MAX_TALLIES = 1000;

export function createFailureLog(
  log: (line: string) => void,
  now: () => number = Date.now,
): (channel: string, error: AppError, ctx: CallContext) => void {
  const tallies = new Map<string, LineTally>();
  return (channel, error, ctx) => {
    const line = terminalText(`${channel.slice(0, 100)}: ${error.code}: ${error.message}`);
    if (ctx.transport !== 'ws' && ctx.transport !== 'team') return log(line);
    // Unknown channels share one key: each invented name would otherwise get its own first line.
    const who = ctx.actor && ctx.actor !== 'local' ? ctx.actor.name : ctx.caller;
    const key = `${who}|${isInvokeChannel(channel) ? channel : '(unknown)'}|${error.code}`;
    const t = tallies.get(key) ?? newLineTally();
    tallies.delete(key);
    if (tallies.size >= MAX_TALLIES) tallies.delete(tallies.keys().next().value!);
    tallies.set(key, t);
    const n = tallyLine(t, now());
    if (n === null) return;
    log(
      n === 1 ? `${ctx.caller}: ${line}` : `${ctx.caller}: ${line} (${n} such failures since the last line about them)`,
    );
  };
}
