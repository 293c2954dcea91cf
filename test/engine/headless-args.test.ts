/** Every headless flag is validated before anything starts: a wrong one is a clear message and exit code 2. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../electron/engine/cli/args.js';
import { runHeadless } from '../../electron/engine/cli/headless.js';

describe('parseCliArgs', () => {
  it.each([
    { argv: ['--demo', '--minutes', 'abc'], error: /--minutes must be a positive number of minutes .*'abc'/ },
    { argv: ['--demo', '--minutes', '40000000'], error: /more than a year/ },
    { argv: ['--demo', '--minutes', '0'], error: /positive/ },
    { argv: ['--demo', '--minutes', '-3'], error: /positive|argument/ },
    { argv: ['--demo', '--minutes', '1e3'], error: /positive number/ },
    { argv: ['--demo', '--config', 'a.yaml'], error: /--config and --demo cannot be combined/ },
    { argv: [], error: /nothing to do/ },
    { argv: ['--bogus'], error: /Unknown option '--bogus'/ },
    { argv: ['--demo', 'extra'], error: /positional/ },
    { argv: ['--report', 'spend'], error: /unknown report 'spend'/ },
    { argv: ['--report', 'costs', '--since', '2026-13-45'], error: /--since must be a date/ },
    { argv: ['--report', 'costs', '--since', 'yesterday'], error: /--since must be a date/ },
    { argv: ['--report', 'costs', '--since', '2026-02-31'], error: /--since 2026-02-31 is not a day of the calendar/ },
    { argv: ['--report', 'costs', '--since', '2027-02-29'], error: /--since 2027-02-29 is not a day of the calendar/ },
    { argv: ['--report', 'costs', '--once'], error: /--once does not apply to --report/ },
    { argv: ['--demo', '--since', '2026-11-01'], error: /--since applies only to --report/ },
    { argv: ['--demo', '--csv'], error: /--csv applies only to --report/ },
    { argv: ['--demo', '--once', '--minutes', '2'], error: /--once runs one tick/ },
    { argv: ['--check'], error: /give --config FILE/ },
    { argv: ['--config', 'a.yaml', '--check', '--once'], error: /--once does not apply to --check/ },
    { argv: ['--config', ''], error: /--config needs a file path/ },
    { argv: ['--config', 'a.yaml', '--check', '--adopt'], error: /--adopt does not apply to --check/ },
    { argv: ['--report', 'costs', '--adopt'], error: /--adopt does not apply to --report/ },
    {
      argv: ['--report', 'costs', '--csv', '--json'],
      error: /--csv and --json are two formats of one report: choose one/,
    },
  ])('refuses $argv', ({ argv, error }) => {
    const r = parseCliArgs(argv);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });

  it.each([
    { argv: ['--demo', '--minutes', '2'], want: { mode: 'demo', minutes: 2 } },
    { argv: ['--demo', '--minutes', '0.5'], want: { mode: 'demo', minutes: 0.5 } },
    { argv: ['--demo', '--minutes', '525600'], want: { mode: 'demo', minutes: 525600 } },
    {
      argv: ['--config', 'a.yaml', '--once', '--json'],
      want: { mode: 'run', config: 'a.yaml', once: true, json: true },
    },
    { argv: ['--config', 'a.yaml', '--check'], want: { mode: 'check', config: 'a.yaml' } },
    { argv: ['--config', 'a.yaml', '--adopt'], want: { mode: 'run', config: 'a.yaml', adopt: true } },
    { argv: ['--demo'], want: { mode: 'demo', adopt: false } },
    {
      argv: ['--report', 'costs', '--since', '2026-11-01', '--csv'],
      want: { mode: 'report', since: Date.UTC(2026, 10, 1), csv: true },
    },
    { argv: ['--report', 'costs', '--since', '2028-02-29'], want: { mode: 'report', since: Date.UTC(2028, 1, 29) } },
    { argv: ['-h'], want: { mode: 'help' } },
  ])('accepts $argv', ({ argv, want }) => {
    const r = parseCliArgs(argv);
    expect(r).toMatchObject({ ok: true, options: want });
  });
});

describe('runHeadless with a bad flag', () => {
  it.each([[['--minutes', 'abc', '--demo']], [['--minutes', '40000000', '--demo']], [['--demo', '--nope']]])(
    '%j exits 2 at once with the reason, starting nothing',
    async (argv) => {
      const lines: string[] = [];
      const code = await runHeadless(argv, { write: (l) => void lines.push(l) }, {});
      expect(code).toBe(2);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines.join('\n')).toContain('npm run headless -- --help');
      expect(lines.join('\n')).not.toContain('demo mode');
    },
  );

  it('with --json among the flags, the reason is one JSON line', async () => {
    const lines: string[] = [];
    expect(await runHeadless(['--demo', '--json', '--minutes', 'abc'], { write: (l) => void lines.push(l) }, {})).toBe(
      2,
    );
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { type: string; message: string };
    expect(line.type).toBe('error');
    expect(line.message).toMatch(/--minutes must be a positive number.*npm run headless -- --help/);
  });
});

describe('--help', () => {
  it('names every environment variable the README gives for headless use, and the exit codes', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Headless use'), readme.indexOf('## Team mode'));
    const vars = [...new Set(section.match(/\b(?:[A-Z][A-Z0-9]*_[A-Z0-9_]+|NO_COLOR|HOME)\b/g))];
    expect(vars.length).toBeGreaterThan(20);
    const lines: string[] = [];
    expect(await runHeadless(['--help'], { write: (l) => void lines.push(l) }, {})).toBe(0);
    const help = lines.join('\n');
    expect(vars.filter((v) => !new RegExp(`\\b${v}\\b`).test(help))).toEqual([]);
    for (const code of ['0', '1', '2', '130']) expect(help).toMatch(new RegExp(`^ *(Exit codes: )?${code} {2}`, 'm'));
  });
});
