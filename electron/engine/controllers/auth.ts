/**
 * The auth gate: once AWS or ClearML refuses our credentials, launches stop (and the status says why); retrying a
 * refused call every tick only fills the log. The refusal is not forever: an IAM policy gets fixed, an SSO or STS
 * session gets refreshed, a stepped clock gets corrected, often without a settings save. So the gate lets one launch
 * through after a back-off (1, 2, 5, 10 min, then every 10 min), reopens at once when EC2 accepts a signed call and
 * the refusal was of a kind that heals by itself, and when Test connection passes. Which call reopens which refusal
 * is `reopens`; when a launch may be tried is `launchGate`: both pure, so their tables are tested as such.
 */
import { ClearmlError, Ec2Error } from '../ports.js';
import { sentence } from '../../../shared/words.js';

/** The back-off between the launches tried while refused: the nth refusal in a row waits the nth step (or the last). */
export const AUTH_RETRY_MS = [1, 2, 5, 10].map((min) => min * 60_000);
/**
 * Refusals closer together than this are one streak: a refusal that comes back soon after the gate reopened (a
 * proxy that breaks the signature of launches only, while listings pass) continues its back-off instead of
 * restarting it at 1 min, and is no longer reopened by a listing alone.
 */
export const AUTH_STREAK_MS = 15 * 60_000;

/**
 * Codes that can heal without anyone touching the config: a session that expired and is refreshed by the SDK chain
 * (SSO, STS, an instance role), a request signed with a clock that has since been corrected.
 */
const HEALING = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'SignatureDoesNotMatch']);

export interface AuthBlock {
  service: 'aws' | 'clearml';
  code: string;
  /** The classified message: what was refused and what to fix. */
  message: string;
  /** The EC2 action refused, when known. */
  action: 'RunInstances' | 'TerminateInstances' | null;
  since: number;
  /** Refusals in this streak, this one included. */
  refusals: number;
  /** When one launch may be tried again. */
  retryAt: number;
}

/** What a call that just went through proves. */
export type AuthPass =
  /** A signed EC2 read (the tick's DescribeInstances) answered. */
  | 'ec2-read'
  /** RunInstances launched an instance: the credentials and the launch permission both work. */
  | 'launch'
  | 'terminate'
  /** Test connection passed with the stored credentials. */
  | 'aws-test'
  | 'clearml-test';

export type LaunchGate =
  | { code: 'open' }
  | { code: 'blocked'; retryAt: number; refusals: number }
  /** One launch may go, to see whether the refusal still holds. */
  | { code: 'retry'; refusals: number };

export function authRetryDelayMs(refusals: number): number {
  return AUTH_RETRY_MS[Math.min(Math.max(refusals, 1), AUTH_RETRY_MS.length) - 1]!;
}

/** May launches go at `now`: all of them, none, or one to try the refusal again. */
export function launchGate(block: AuthBlock | null, now: number): LaunchGate {
  if (!block) return { code: 'open' };
  if (now >= block.retryAt) return { code: 'retry', refusals: block.refusals };
  return { code: 'blocked', retryAt: block.retryAt, refusals: block.refusals };
}

/** Whether a call that went through proves the refusal over. */
export function reopens(block: AuthBlock, pass: AuthPass): boolean {
  if (block.service === 'clearml') return pass === 'clearml-test';
  if (pass === 'aws-test' || pass === 'launch') return true;
  if (pass === 'clearml-test') return false;
  // A permission refused on one action says nothing of a listing; a session or signature refusal does: it held for
  // every call. Only the first of a streak, though: a second one soon after means that call still fails.
  if (HEALING.has(block.code) && block.refusals === 1) return true;
  return pass === 'terminate' && block.action === 'TerminateInstances';
}

function minutes(ms: number): string {
  const min = Math.max(1, Math.ceil(ms / 60_000));
  return `${min} min`;
}

/** The status and event text of a block at `now`. */
export function authBlockText(b: AuthBlock, now: number): string {
  if (b.service === 'clearml') return `ClearML rejected the credentials: ${b.message}`;
  const retry = b.retryAt > now ? `one is tried again in ${minutes(b.retryAt - now)}` : 'one is tried again now';
  const streak = b.refusals > 1 ? ` (refused ${b.refusals} times in a row)` : '';
  // The classified message names the code as a rule; said twice, it only lengthens a text that is long already.
  const code = b.message.includes(b.code) ? '' : ` (${b.code})`;
  // The classified message is a sentence of its own (it ends with a period): one more would read "correct..".
  // Terminations are not gated (an idle instance bills on): a refused one is tried at every poll, which "Launches are
  // stopped" alone would leave the user to guess.
  const terminations =
    b.action === 'TerminateInstances'
      ? ' Terminations are tried again at every poll; until one goes through, the instances bill on.'
      : '';
  return (
    `AWS refused the request${code}: ${sentence(b.message)} Launches are stopped: ${retry}${streak}; ` +
    `they resume at once when the AWS credentials or IAM policy are fixed and Credentials → Test connection passes.` +
    terminations
  );
}

/**
 * The short forms of a block at `now`, for the places that show a line or a few: the full text is ~400 characters
 * (the cause, the fix, the streak, how launches resume), its fix comes after the cause, and a tray tooltip (Windows
 * cuts it at 127 characters) or a desktop notification (about four lines) ends long before. The event log and the
 * dashboard keep the full text.
 *
 * `line`, for the tray's status line: what was refused and when one launch is tried again (the menu's "Open
 * Credentials…" item right below is what to do), rewritten at every tick. `notice`, for a notification: the
 * classified message (the cause, the code once, the fix); `retryInMs`, when one launch is tried again, which the
 * notifier words when it shows the notice (it may hold one back for a quiet time: counted from the refusal, "next
 * try in 1 min" would be wrong by that time).
 */
export function authBlockSummary(b: AuthBlock, now: number): { line: string; notice: string; retryInMs?: number } {
  if (b.service === 'clearml') return { line: 'ClearML rejected the credentials', notice: authBlockText(b, now) };
  const retry = b.retryAt > now ? `in ${minutes(b.retryAt - now)}` : 'now';
  const what = b.action ? `ec2:${b.action}` : 'the credentials';
  return {
    line: `AWS refused ${what} (${b.code}); next try ${retry}`,
    notice: sentence(b.message),
    retryInMs: Math.max(0, b.retryAt - now),
  };
}

export class AuthGate {
  private block: AuthBlock | null = null;
  /** The last refusal of the streak, kept after the gate reopened (see AUTH_STREAK_MS). */
  private last: { at: number; refusals: number } | null = null;

  get current(): AuthBlock | null {
    return this.block;
  }

  /**
   * Why launches are stopped, said at `now` (the refusal's time when the launcher reports it), or null. Not at the
   * streak's start: the wait is counted from the latest refusal, so that would add the streak's age to it.
   */
  blockedAt(now: number): string | null {
    const b = this.block;
    return b ? authBlockText(b, now) : null;
  }

  launchGate(now: number): LaunchGate {
    return launchGate(this.block, now);
  }

  /** Remember an auth refusal (other errors are ignored). */
  note(e: unknown, now = 0, action: AuthBlock['action'] = null): void {
    const aws = e instanceof Ec2Error && e.kind === 'auth' ? e : null;
    if (!aws && !(e instanceof ClearmlError && e.kind === 'auth')) return;
    // Refusals of one tick are one refusal: the launches of a batch go side by side (and a termination may be
    // refused in the same tick), so N of them answered at once say nothing more than one, and must not make the
    // first wait N steps long.
    const last = this.last;
    const refusals =
      last && this.block && now === last.at
        ? last.refusals
        : (last && now - last.at < AUTH_STREAK_MS ? last.refusals : 0) + 1;
    this.last = { at: now, refusals };
    this.block = {
      service: aws ? 'aws' : 'clearml',
      code: aws?.code ?? 'auth',
      message: (e as Error).message,
      action,
      since: this.block?.since ?? now,
      refusals,
      retryAt: now + authRetryDelayMs(refusals),
    };
  }

  /** A launch tried while refused failed for another reason: it proves nothing, so it is tried again later. */
  retryLater(now: number): void {
    if (this.block) this.block = { ...this.block, retryAt: now + authRetryDelayMs(this.block.refusals) };
  }

  /** A call went through: the block it proves over, now lifted (for the caller to say so), or null. */
  passed(pass: AuthPass): AuthBlock | null {
    const b = this.block;
    if (!b || !reopens(b, pass)) return null;
    this.block = null;
    // The user checked the credentials: a later refusal is a new problem, not the same streak.
    if (pass === 'aws-test' || pass === 'clearml-test') this.last = null;
    return b;
  }

  clear(): void {
    this.block = null;
    this.last = null;
  }
}
