/**
 * Reading a ClearML autoscaler file leniently and precisely: ClearML hyper-parameters edited in its UI come back
 * as strings ("15", "False"), so scalars are coerced; every value that cannot be read is an issue at its path in
 * the original file; the Reader also remembers which of our paths came from which of the file's.
 */
import type { FieldIssue } from '../../../shared/config.js';
import type { DifferenceFacts } from './clearml-differences.js';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Reader {
  readonly issues: FieldIssue[] = [];
  readonly warnings: string[] = [];
  /** Our dotted path → path in the original file, for mapping schema issues back. */
  readonly origin = new Map<string, string>();
  /** Conversion notes appended to schema messages, by our path. */
  readonly notes = new Map<string, string>();
  readonly notCarried: DifferenceFacts['notCarried'] = [];

  issue(path: string, message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }

  /**
   * Text; numbers and true are accepted as their text; '', null, false and 0 count as absent, as ClearML tests its
   * text settings (`if resource_conf.get("key_name")`), so `key_name: no` (false in YAML 1.1) sends no key pair.
   */
  text(v: unknown, path: string): string | undefined {
    if (v === undefined || v === null || v === false || v === 0) return undefined;
    if (typeof v === 'string') return v.trim() === '' ? undefined : v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return this.issue(path, 'must be text');
  }

  /** Multi-line text kept verbatim (scripts, conf). */
  block(v: unknown, path: string): string | undefined {
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.every((l) => typeof l === 'string')) return v.join('\n');
    return this.issue(path, 'must be text (a multi-line string)');
  }

  /**
   * A true/false setting. Text that says false ("false", 'no', "0") is read as false, as written; ClearML's
   * autoscaler tests these settings by Python truthiness, so any non-empty text was true there: the warning says
   * what ClearML did with it and how to keep that.
   */
  bool(v: unknown, path: string): boolean | undefined {
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'boolean') return v;
    if (v === 0 || v === 1) return v === 1;
    if (typeof v === 'string') {
      const s = v.trim().toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(s)) return true;
      if (['false', 'no', 'off', '0'].includes(s)) {
        this.warnings.push(falseTextWarning(path, v));
        return false;
      }
    }
    return this.issue(path, `must be true or false, not ${JSON.stringify(v)}`);
  }

  num(v: unknown, path: string, unit: string): number | undefined {
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    if (Number.isFinite(n)) return n;
    return this.issue(path, `must be a number of ${unit}, not ${JSON.stringify(v)}`);
  }

  /** A YAML list, or ClearML's comma-separated string. */
  list(v: unknown, path: string): string[] | undefined {
    if (v === undefined || v === null || v === '') return undefined;
    const items = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v : null;
    if (!items || !items.every((x) => typeof x === 'string' || typeof x === 'number')) {
      return this.issue(path, 'must be a list, or a comma-separated string like "a, b"');
    }
    return items.map((x) => String(x).trim()).filter((x) => x !== '');
  }

  /** ClearML's `"k1=v1, k2=v2"` (a YAML map is accepted too). */
  tags(v: unknown, path: string): Record<string, string> | undefined {
    if (v === undefined || v === null || v === '') return undefined;
    if (isObj(v)) {
      const out: Record<string, string> = {};
      for (const [k, x] of Object.entries(v)) {
        if (x === null || x === undefined) out[k] = '';
        else if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = String(x);
        else return this.issue(`${path}.${k}`, 'a tag value must be text');
      }
      return out;
    }
    if (typeof v !== 'string') return this.issue(path, 'must be a tag string like "team=ml, owner=alice"');
    const out: Record<string, string> = {};
    for (const part of v.split(',').map((p) => p.trim())) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const key = eq < 0 ? '' : part.slice(0, eq).trim();
      if (key === '') {
        return this.issue(path, `tag '${part}' must be key=value; write tags as "team=ml, owner=alice"`);
      }
      out[key] = part.slice(eq + 1).trim();
    }
    return out;
  }

  unknownKeys(obj: Obj, known: Set<string>, path: string): void {
    for (const k of Object.keys(obj)) {
      if (!known.has(k)) this.warnings.push(`${path}.${k}: not a ClearML autoscaler setting; ignored`);
    }
  }
}

/**
 * Python's `int()` of a value, as ClearML's autoscaler applies it to a queue's max instances (`int(max_instances) -
 * running - booting`): text of a whole number (surrounding spaces and `_` between digits allowed) is read, any other
 * text fails, a fraction is cut toward zero, true and false are 1 and 0; infinity, NaN and anything else fail.
 */
export function pythonInt(v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) + 0 : undefined;
  if (typeof v === 'string' && /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(v)) return Number.parseInt(v.replace(/_/g, ''), 10) + 0;
  return undefined;
}

/**
 * How a number setting of the file was written, apart from its value: the importer says what ClearML's autoscaler
 * made of each form (it reads text, fractions and booleans differently per setting) and what this app imports.
 */
export type WrittenNumber =
  | { form: 'missing' }
  | { form: 'number'; value: number }
  /** `value` is the text read as a number here (undefined when it is not one). */
  | { form: 'text'; text: string; value: number | undefined }
  | { form: 'boolean'; value: boolean }
  /** `.inf`, `.nan`, a list, a map. */
  | { form: 'other'; written: string };

export function writtenNumber(v: unknown): WrittenNumber {
  if (v === undefined || v === null || v === '') return { form: 'missing' };
  if (typeof v === 'boolean') return { form: 'boolean', value: v };
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return { form: 'number', value: v };
    return { form: 'other', written: Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf' }; // as YAML writes them
  }
  if (typeof v === 'string') {
    const n = v.trim() === '' ? Number.NaN : Number(v);
    return { form: 'text', text: v, value: Number.isFinite(n) ? n : undefined };
  }
  return { form: 'other', written: JSON.stringify(v) };
}

/**
 * What ClearML's autoscaler did when a true/false setting held text (any non-empty text is true in Python), and what
 * false means here. Its reads: `if resource_conf["is_spot"]:`, `if cpu_only` (from `resource_conf.get("cpu_only",
 * False)`), `bool(resource_conf.get("enable_monitoring", False))`, `if not self.use_credentials_chain:`.
 */
const TEXT_WAS_TRUE: Record<string, { clearml: string; here: string }> = {
  is_spot: { clearml: 'launched spot instances', here: 'on-demand instances are launched' },
  cpu_only: {
    clearml: 'hid the GPUs from the agent (NVIDIA_VISIBLE_DEVICES=none)',
    here: 'the agent uses the GPUs',
  },
  enable_monitoring: {
    clearml: 'turned on detailed CloudWatch monitoring (billed per instance)',
    here: 'basic monitoring',
  },
  use_credentials_chain: {
    clearml:
      "ignored cloud_credentials_key/secret and used the default AWS credential chain (environment, profile, instance role) when run from this file (run as a service task with --remote, it drops this setting and used the file's keys)",
    here: "the AWS keys in this file are used, not the credential chain; check that they are the account's you mean to launch in",
  },
};

export function falseTextWarning(path: string, text: string): string {
  const key = path.split('.').at(-1)!;
  const effect = TEXT_WAS_TRUE[key];
  const clearml = effect ? `, so it ${effect.clearml}` : '';
  const here = effect ? ` (${effect.here})` : '';
  return (
    `${path} is the text ${JSON.stringify(text)}: ClearML's autoscaler treats any non-empty text as true${clearml}. ` +
    `Imported as false${here}. To keep ClearML's behaviour write ${key}: true; to say false, write ${key}: false without quotes`
  );
}

/** Drops undefined members, so the schema's defaults apply to what the file did not say. */
export function compact<T extends Obj>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
