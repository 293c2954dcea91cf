/**
 * The auth gate: once AWS or ClearML refuses our credentials, launches stop (and the status says why) until the
 * config changes; retrying a refused call every tick only fills the log.
 */
import { ClearmlError, Ec2Error } from '../ports.js';
import { sentence } from '../../../shared/words.js';

export class AuthGate {
  private reason: string | null = null;

  /** Why launches are stopped, or null. */
  get blocked(): string | null {
    return this.reason;
  }

  /** Remember an auth refusal (other errors are ignored). */
  note(e: unknown): void {
    if (e instanceof Ec2Error && e.kind === 'auth') {
      // The classified message is a sentence of its own (it ends with a period): one more would read "correct..".
      this.reason = `AWS refused the request (${e.code}): ${sentence(e.message)} Launches are stopped until the AWS credentials or IAM policy are fixed (Credentials → Test connection).`;
    } else if (e instanceof ClearmlError && e.kind === 'auth') {
      this.reason = `ClearML rejected the credentials: ${e.message}`;
    }
  }

  clear(): void {
    this.reason = null;
  }
}
