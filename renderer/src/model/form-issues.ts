/**
 * Issues on the Settings form: which field an issue belongs to (by the longest config path that maps to one),
 * and zod's generic texts reworded as what is valid. The same mapping serves issues found in the browser and
 * those the service returns (config.save / config.validate).
 */
import type { z } from 'zod';

/** Field ids the view uses: `apiHost`, `scaling.maxIdleMin`, `resource:<uid>:amiId`, `entry:<uid>:maxInstances`… */
export type FieldId = string;
export type IssueMap = Record<FieldId, string[]>;

export function add(map: IssueMap, field: FieldId, message: string) {
  const list = (map[field] ??= []);
  if (!list.includes(message)) list.push(message);
}

/** zod's generic texts reworded as what is valid; the schema's own messages are already written that way. */
export function friendlyMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_key': {
      const inner = issue.issues[0];
      return inner ? inner.message : 'this name is not allowed';
    }
    case 'invalid_type':
      // A schema's own message (the budget caps have one) says more than the generic rewording.
      if (!/^Invalid input/.test(issue.message)) return issue.message;
      if (issue.expected === 'number') return 'must be a number';
      if (issue.expected === 'string') return 'must be text';
      if (issue.expected === 'boolean') return 'must be on or off';
      return issue.message;
    case 'too_small':
      if (issue.origin === 'number' && /^Too small/.test(issue.message))
        return `must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}`;
      if (issue.origin === 'string' && /^Too small/.test(issue.message)) return 'must not be empty';
      return issue.message;
    case 'too_big':
      if (issue.origin === 'number' && /^Too big/.test(issue.message))
        return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
      if (/^Too big/.test(issue.message)) return `must be at most ${String(issue.maximum)} characters`;
      return issue.message;
    case 'invalid_value':
      return `must be one of: ${issue.values.map(String).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown field(s): ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}

export function fieldFor(path: string, paths: Record<string, FieldId>): FieldId | null {
  let p = path;
  for (;;) {
    const hit = paths[p];
    if (hit) return hit;
    const cut = p.lastIndexOf('.');
    if (cut < 0) return null;
    p = p.slice(0, cut);
  }
}

/** Server-side issues (config.save / config.validate) use the same dotted paths; map them the same way. */
export function mapIssues(
  issues: readonly { path: string; message: string }[],
  paths: Record<string, FieldId>,
  into: IssueMap = {},
): IssueMap {
  for (const i of issues) {
    const field = fieldFor(i.path, paths);
    if (field) add(into, field, i.message);
    else add(into, 'form', `${i.path}: ${i.message}`);
  }
  return into;
}

/** A resource's fields that carry issues, for a summary line "instance type, AMI id". */
export function issuesFor(issues: IssueMap, field: FieldId): string[] {
  return issues[field] ?? [];
}
