/**
 * Queue names: what ClearML's server and clearml-agent accept, less what this app cannot carry. The server takes
 * any text of 3 or more characters after trimming (it creates no shorter one) and the agent finds a queue by any
 * name, except that it takes 30 or more hex digits and dashes for a queue id. A name reaches the startup script
 * only as one single-quoted shell word, an EC2 tag value (any character, at most 256), the event log, the terminal
 * and the dashboard: control and invisible characters are refused because a terminal or a log would act on them.
 */

/** The longest queue name: the IPC contract's bound, and half an EC2 tag value's. */
export const QUEUE_NAME_MAX = 128;
/** The ClearML server refuses to create a queue whose name, trimmed, is shorter. */
export const SERVER_QUEUE_NAME_MIN = 3;

/** Null when `name` can be a configured queue; otherwise why not, as a clause ("must …"). */
export function queueNameProblem(name: string): string | null {
  if (name === '') return 'queue name must not be empty';
  if (name.length > QUEUE_NAME_MAX) return `queue name must be at most ${QUEUE_NAME_MAX} characters`;
  if (/\p{C}/u.test(name)) return 'queue name must not contain control or invisible characters (a newline, a tab, …)';
  if (name.trim() !== name) {
    return 'queue name must not start or end with a space: the ClearML server strips them, so the queue would not be found';
  }
  if (/^[-a-f0-9]{30,}$/.test(name)) {
    return 'queue name looks like a queue id (30 or more hex digits and dashes), which clearml-agent would take it for; choose another name';
  }
  return null;
}
