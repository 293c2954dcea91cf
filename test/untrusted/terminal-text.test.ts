// Text other people wrote reaches the headless CLI's terminal unable to act on it: escape sequences, carriage
// returns, C1 controls and BiDi overrides are shown as their codes; the view's own colours still paint.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import pc from 'picocolors';
import type { EngineEvent } from '../../shared/domain.js';
import { runHeadless } from '../../electron/engine/cli/headless.js';
import { createView } from '../../electron/engine/cli/terminal.js';
import { terminalText } from '../../electron/engine/untrusted/terminal-text.js';
import { headlessConfigFile } from '../fixtures/index.js';
import { KEYS } from '../engine/world.js';

/** Sets the window title, clears the screen, hides what follows, returns to column 0, reverses, 8-bit CSI. */
const HOSTILE = 'bad\x1b]0;owned\x07\x1b[2J\x1b[8mhidden\rover\u202eevil\x9b6n';
/** Any character a terminal acts on, except the SGR colours the view paints. */
// eslint-disable-next-line no-control-regex
const ACTS = /\x1b(?!\[(?:1|2|22|31|32|33|36|39)m)|[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

describe('terminalText', () => {
  it.each([
    ['plain text', 'gpu queue: launched 2 × g4dn.xlarge', {}, 'gpu queue: launched 2 × g4dn.xlarge'],
    ['unicode and emoji stay', 'größe 🚀 队列 👩‍💻', {}, 'größe 🚀 队列 👩‍💻'],
    ['a tab stays', 'a\tb', {}, 'a\tb'],
    [
      'the view’s own colours stay',
      pc.createColors(true).red('x') + pc.createColors(true).dim('y'),
      {},
      '\x1b[31mx\x1b[39m\x1b[2my\x1b[22m',
    ],
    ['an OSC title', 'a\x1b]0;t\x07b', {}, 'a\\u001b]0;t\\u0007b'],
    ['clear screen and conceal', '\x1b[2J\x1b[8m', {}, '\\u001b[2J\\u001b[8m'],
    ['a carriage return', 'ok\rno', {}, 'ok\\u000dno'],
    ['a newline in one line', 'a\nb', {}, 'a\\u000ab'],
    ['a newline kept where lines are allowed', 'a\nb', { newlines: true }, 'a\nb'],
    ['C1 CSI and DEL', 'a\x9b2Jb\x7f', {}, 'a\\u009b2Jb\\u007f'],
    ['BiDi override and isolate', 'x\u202eabc\u2066', {}, 'x\\u202eabc\\u2066'],
    ['line separator', 'a\u2028b', {}, 'a\\u2028b'],
  ] as const)('%s', (_, text, opts, shown) => {
    expect(terminalText(text, opts)).toBe(shown);
  });
});

describe('the headless CLI prints a hostile server’s words inert', () => {
  let server: Server | null = null;
  afterEach(() => {
    server?.close();
    server = null;
  });

  it('a ClearML error message with escape sequences is shown, not obeyed', async () => {
    server = createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      const meta = { result_code: 400, result_subcode: 0, result_msg: HOSTILE, endpoint: { name: 'queues.get_all' } };
      res.end(JSON.stringify({ meta, data: {} }));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const lines: string[] = [];
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:1',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    try {
      await runHeadless(
        ['--config', headlessConfigFile(url), '--once', '--data-dir', mkdtempSync(path.join(tmpdir(), 'data-'))],
        { write: (l) => void lines.push(l) },
        {
          CLEARML_API_HOST: url,
          CLEARML_API_ACCESS_KEY: KEYS.accessKey,
          CLEARML_API_SECRET_KEY: KEYS.secretKey,
          HOME: mkdtempSync(path.join(tmpdir(), 'home-')),
        },
      );
    } finally {
      process.env = saved;
    }
    const shown = lines.find((l) => l.includes('refused queues.get_all'));
    expect(shown).toContain('bad\\u001b]0;owned\\u0007\\u001b[2J\\u001b[8mhidden');
    expect(shown).toContain('\\u202eevil\\u009b6n');
    for (const l of lines) expect(l).not.toMatch(ACTS);
  });

  it.each([
    ['a terminal', true],
    ['a pipe', false],
  ])('on %s, an event and a kept line carry nothing a terminal acts on', (_, isTTY) => {
    let written = '';
    const stream = { isTTY, columns: 200, write: (c: string) => ((written += c), true) };
    const view = createView(stream, { FORCE_COLOR: '1' });
    const event: EngineEvent = {
      id: 1,
      at: Date.UTC(2026, 11, 7, 12, 0, 0),
      level: 'error',
      kind: 'error',
      message: `task ${HOSTILE} failed`,
    };
    view.event(event);
    view.line(`warning: ${HOSTILE}`);
    view.close();
    expect(written).toContain('\\u001b]0;owned');
    expect(written).not.toContain('\x1b]0;owned');
    expect(written).not.toContain('\x1b[2J');
    expect(written).not.toContain('\x1b[8m');
    expect(written).not.toContain('\u202e');
    expect(written).not.toContain('\x9b');
    expect(written).not.toContain('\rover');
    expect(written).toContain('\x1b[31m'); // the view still paints
  });
});
