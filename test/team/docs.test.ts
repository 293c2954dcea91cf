/** The README's team-mode unit is the file shipped in build/systemd, and it runs what the CLI accepts. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../electron/engine/cli/args.js';

const root = path.resolve(import.meta.dirname, '../..');
const unit = readFileSync(path.join(root, 'build/systemd/clearml-tray-autoscaler-team.service'), 'utf8');

describe('team mode docs', () => {
  it('the README shows the shipped systemd unit verbatim', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const block = /```ini\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Team mode')))?.[1];
    expect(block).toBe(unit);
  });

  it('the unit runs flags the CLI accepts, and does not restart on a bad flag or config', () => {
    const exec = /^ExecStart=.* run -s headless -- (.*)$/m.exec(unit)?.[1];
    const r = parseCliArgs(exec!.split(' '));
    expect(r).toMatchObject({ ok: true, options: { mode: 'run', serve: { listen: { host: '0.0.0.0', port: 7465 } } } });
    expect(unit).toMatch(/^RestartPreventExitStatus=2$/m);
  });

  it("every ExecStart shown runs npm silently: npm's banner lines would be the only non-JSON lines of the log", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const execs = [...`${readme}\n${unit}`.matchAll(/ExecStart=(\S+npm .*)$/gm)].map((m) => m[1]!.replace(/`.*$/, ''));
    expect(execs.length).toBeGreaterThanOrEqual(3);
    for (const e of execs) expect(e).toMatch(/ run (-s|--silent) headless -- /);
  });

  it("the unit's PATH finds the Node this needs before systemd's /usr/bin/node, and npm's 143 on SIGTERM is a success", () => {
    // npm's shebang is `env node`: without the unit's PATH, /usr/bin/node runs npm, tsx and the engine.
    const prefix = /^ExecStart=\S*npm --prefix (\S+) /m.exec(unit)?.[1];
    const pathVar = /^Environment=PATH=(\S+)$/m.exec(unit)?.[1];
    expect(pathVar?.split(':')[0]).toBe(`${prefix}/.tools/node-24/bin`);
    expect(pathVar?.split(':')).toEqual(expect.arrayContaining(['/usr/local/bin', '/usr/bin', '/bin']));
    // KillSignal=SIGTERM reaches npm too, which then exits 128 + 15 though the engine under it stopped cleanly.
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
    expect(/^SuccessExitStatus=(.*)$/m.exec(unit)?.[1]?.split(/\s+/)).toContain('143');
  });
});
