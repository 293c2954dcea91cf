/** The --serve flags: parsed before anything starts, wrong ones refused with what to type instead. */
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../electron/engine/cli/args.js';

describe('--serve flags', () => {
  it.each([
    [['--demo', '--serve'], { listen: { host: '0.0.0.0', port: 7465 } }],
    [['--demo', '--serve', '--listen', '127.0.0.1:0'], { listen: { host: '127.0.0.1', port: 0 } }],
    [['--demo', '--serve', '--listen', ':8443'], { listen: { host: '0.0.0.0', port: 8443 } }],
    [['--demo', '--serve', '--listen', '[::1]:9000'], { listen: { host: '::1', port: 9000 } }],
    [
      ['--config', 'c.yaml', '--serve', '--tls-cert', 'c.pem', '--tls-key', 'k.pem'],
      { listen: { host: '0.0.0.0', port: 7465 }, tlsCert: 'c.pem', tlsKey: 'k.pem' },
    ],
  ])('%j', (argv, serve) => {
    const r = parseCliArgs(argv);
    expect(r.ok && r.options.serve).toEqual(serve);
  });

  it.each([
    [['--demo', '--listen', ':1'], /apply only with --serve/],
    [['--demo', '--serve', '--listen', 'host'], /--listen must be HOST:PORT/],
    [['--demo', '--serve', '--listen', 'h:70000'], /--listen must be HOST:PORT/],
    [['--demo', '--serve', '--tls-cert', 'c.pem'], /give both --tls-cert and --tls-key/],
    [['--demo', '--serve', '--once'], /--once does not apply/],
    [['--config', 'c.yaml', '--serve', '--check'], /--check does not apply/],
  ])('refuses %j', (argv, message) => {
    const r = parseCliArgs(argv);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });

  it('leaves serve out without --serve', () => {
    const r = parseCliArgs(['--demo']);
    expect(r.ok && r.options.serve).toBeFalsy();
  });
});
