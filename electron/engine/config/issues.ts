/**
 * zod issues as field messages a user can act on: the path they must edit and what would be valid there.
 * zod's defaults ("Invalid key in record", "expected string, received undefined") say neither.
 */
import type { z } from 'zod';
import type { FieldIssue } from '../../../shared/config.js';
import { plural } from '../../../shared/words.js';

type Path = readonly PropertyKey[];

/** Examples for required fields, by the last segment of our path. */
const REQUIRED_HINT: Record<string, string> = {
  instanceType: 'an EC2 instance type such as g4dn.xlarge',
  amiId: 'an AMI id such as ami-0123456789abcdef0',
  apiHost: 'the ClearML API server URL, e.g. https://api.clear.ml',
  region: 'an AWS region such as us-east-1',
  resource: 'the name of a defined resource',
  maxInstances: 'a whole number of instances (0 or more)',
};

function sizeMessage(issue: z.core.$ZodIssue): string | null {
  if (issue.code !== 'too_small' && issue.code !== 'too_big') return null;
  if (!/^Too (small|big)/.test(issue.message)) return null; // a schema-specific message is already clear
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'number':
    case 'int':
    case 'bigint':
      return `must be ${small ? (inclusive ? 'at least' : 'greater than') : inclusive ? 'at most' : 'less than'} ${bound}`;
    case 'string':
      return `must be ${small ? 'at least' : 'at most'} ${plural(bound, 'character')} long`;
    case 'array':
      return `must have ${small ? 'at least' : 'at most'} ${plural(bound, 'entry', 'entries')}`;
    default:
      return null;
  }
}

/** One readable message for a zod issue (the path is handled by the caller). */
export function issueMessage(issue: z.core.$ZodIssue, path: Path = issue.path): string {
  switch (issue.code) {
    case 'invalid_key': {
      const inner = issue.issues[0]?.message ?? 'invalid name';
      return `invalid name '${String(path.at(-1))}': ${inner}`;
    }
    case 'invalid_type': {
      if (/received undefined$/.test(issue.message)) {
        const hint = REQUIRED_HINT[String(path.at(-1))];
        return hint ? `missing: required, ${hint}` : `missing: required (expected ${issue.expected})`;
      }
      if (/^Invalid input: expected/.test(issue.message)) {
        return issue.message.replace(/^Invalid input: /, 'wrong type: ');
      }
      return issue.message;
    }
    case 'unrecognized_keys':
      return `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    default:
      return sizeMessage(issue) ?? issue.message;
  }
}

/** Our-format issues with dotted paths (`resources.gpu.instanceType`). */
export function describeIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({ path: dotted(i.path) || '(root)', message: issueMessage(i) }));
}

export function dotted(path: Path): string {
  return path.map(String).join('.');
}
