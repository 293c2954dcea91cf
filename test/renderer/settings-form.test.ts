import { describe, expect, it } from 'vitest';
import { draftFromConfig, validateDraft } from '../../renderer/src/model/config-form.js';
import { credentialsAdvice, lineDiff, usesDocker } from '../../renderer/src/model/instance-setup.js';
import { formReducer, initialFormState, shownIssues, worldMoveText } from '../../renderer/src/model/settings-form.js';
import { attentionText } from '../../renderer/src/model/attention.js';
import { validConfig } from '../service/fixtures.js';

describe('the Settings form reducer', () => {
  it('a save refused here shows every field, then names the invalid ones in one status line', () => {
    let s = formReducer(initialFormState(validConfig()), { type: 'reveal' });
    expect(s).toMatchObject({ showAll: true, status: null });
    s = formReducer(s, { type: 'invalid', fields: ['API host', 'Resource gpu: AMI id'] });
    expect(s.status).toEqual({
      tone: 'error',
      text: 'Not saved: 2 fields need attention: API host, Resource gpu: AMI id.',
    });
    s = formReducer(s, { type: 'invalid', fields: [] });
    expect(s.status?.text).toBe('Not saved: fix the fields marked below first.');
    expect(attentionText(['Access key', 'Access key'])).toBe('1 field needs attention: Access key');
  });

  it('edit marks dirty and touched and clears stale messages; load reverts', () => {
    let s = initialFormState(validConfig());
    s = formReducer(s, { type: 'rejected', issues: { apiHost: ['bad'] } });
    expect(s.serverIssues).toEqual({ apiHost: ['bad'] });
    s = formReducer(s, { type: 'edit', id: 'apiHost', change: (d) => ({ ...d, apiHost: 'x' }) });
    expect(s).toMatchObject({ dirty: true, serverIssues: {}, status: null });
    expect(s.touched.has('apiHost')).toBe(true);
    expect(shownIssues(s, { apiHost: ['schema'], region: ['r'] }, 'apiHost')).toEqual(['schema']);
    // After a save attempt every field shows its issues, touched or not.
    expect(shownIssues(s, { apiHost: ['schema'], region: ['r'] }, 'region')).toEqual(['r']);
    const fresh = formReducer(initialFormState(validConfig()), { type: 'edit', id: 'apiHost', change: (d) => d });
    expect(shownIssues(fresh, { region: ['r'] }, 'region')).toEqual([]);
    s = formReducer(s, { type: 'load', config: validConfig() });
    expect(s.dirty).toBe(false);
    expect(s.draft.apiHost).toBe(validConfig().clearml.apiHost);
  });

  it("an import's differences stay beside the draft through edits, and go with a save or a discard", () => {
    const differences = [
      { code: 'surplus-idle' as const, path: null, setting: 'scaling.surplusIdleMin', text: 'idle workers wait' },
    ];
    let s = formReducer(initialFormState(null), { type: 'imported', config: validConfig(), differences });
    expect(s.importDifferences).toEqual(differences);
    s = formReducer(s, { type: 'edit', id: 'region', change: (d) => ({ ...d, region: 'eu-west-1' }) });
    s = formReducer(s, { type: 'rejected', issues: { region: ['bad'] } });
    expect(s.importDifferences).toEqual(differences);
    expect(formReducer(s, { type: 'saved' }).importDifferences).toEqual([]);
    expect(formReducer(s, { type: 'revert', config: null }).importDifferences).toEqual([]);
  });

  const move = {
    changed: ['region' as const],
    from: { apiHost: 'https://api.clear.ml', region: 'us-east-1', workersPrefix: 'dyn' },
    instances: 1,
    busy: 0,
    leases: true,
  };
  it.each([
    [
      'an instance-setup change',
      {
        instanceSetup: [{ path: 'agent.initScript', label: 'Init script', before: '', after: 'x' }],
        apiHost: null,
        worldMove: null,
      },
    ],
    ['a move while instances run', { instanceSetup: [], apiHost: null, worldMove: move }],
  ])('a refusal that only needs confirmation (%s) opens the confirm dialog instead of marking fields', (_, needs) => {
    const s = formReducer(initialFormState(validConfig()), { type: 'rejected', issues: {}, needs });
    expect(s.dialog).toEqual({ kind: 'confirm', needs });
    expect(s.serverIssues).toEqual({});
    expect(formReducer(s, { type: 'saved' })).toMatchObject({ dialog: null, dirty: false });
  });

  it('a save the engine answers with a notice says it after "Saved." (a team engine whose --config file wins)', () => {
    const notice = "It applies now, but the host's --config file wins at the engine's next start.";
    const s = formReducer(initialFormState(validConfig()), { type: 'saved', notice });
    expect(s.status).toEqual({ tone: 'info', text: `Saved. ${notice}` });
    expect(formReducer(s, { type: 'saved' }).status).toEqual({
      tone: 'ok',
      text: 'Saved. The engine applies it at its next poll.',
    });
  });

  it('the agent fields round-trip through the draft, fields it does not edit included', () => {
    const cfg = validConfig();
    const withAgent = { ...cfg, agent: { ...cfg.agent, initScript: 'echo hi', gitUser: 'bob' } };
    const v = validateDraft(draftFromConfig(withAgent));
    expect(v.valid).toBe(true);
    expect(v.config.agent).toMatchObject({ initScript: 'echo hi', gitUser: 'bob' });
  });

  it.each([true, false])(
    'the shell-expansion switch of the extra clearml.conf (%s) and the surplus idle time round-trip',
    (expand) => {
      const cfg = validConfig();
      const c = {
        ...cfg,
        scaling: { ...cfg.scaling, surplusIdleMin: 7 },
        agent: { ...cfg.agent, extraClearmlConf: 'x: $HOME', extraClearmlConfShellExpand: expand },
      };
      const d = draftFromConfig(c);
      expect(d.agent.extraClearmlConfShellExpand).toBe(expand);
      expect(d.scaling.surplusIdleMin).toBe('7');
      const v = validateDraft(d);
      expect(v.valid).toBe(true);
      expect(v.config.agent).toMatchObject({ extraClearmlConfShellExpand: expand });
      expect(v.config.scaling).toMatchObject({ surplusIdleMin: 7 });
    },
  );
});

describe('instance setup model', () => {
  it('lineDiff keeps common lines as context and shows the changed ones', () => {
    expect(lineDiff('a\nb\nc', 'a\nB\nc')).toEqual([
      { kind: ' ', text: 'a' },
      { kind: '-', text: 'b' },
      { kind: '+', text: 'B' },
      { kind: ' ', text: 'c' },
    ]);
    expect(lineDiff('', 'new')).toEqual([{ kind: '+', text: 'new' }]);
  });

  it.each([
    ['venv', '', [], 'user-data', 'info', /hop limit 1/],
    ['docker with keys in user data', 'img', [], 'user-data', 'warn', /hop limit 2.*Recommended: keys from SSM/],
    ['docker via a resource image, SSM', '', ['img'], 'ssm', 'info', /hop limit 2.*come from SSM/],
  ] as const)('advice for %s', (_n, image, resourceImages, from, tone, text) => {
    const agent = {
      initScript: '',
      extraClearmlConf: '',
      extraClearmlConfShellExpand: false,
      defaultDockerImage: image,
      agentVersion: '1.9.3',
      queuePollSec: '2',
      clearmlCredentialsFrom: from,
      ssmPrefix: '/x',
    };
    const a = credentialsAdvice(agent, usesDocker(agent, resourceImages));
    expect(a.tone).toBe(tone);
    expect(a.text).toMatch(text);
  });
});

describe('what the confirmation says of instances the save leaves behind', () => {
  const from = { apiHost: 'https://old.example.com', region: 'us-east-1', workersPrefix: 'dyn' };
  it.each([
    [
      'another server, leases on',
      { changed: ['server'], instances: 2, busy: 1, leases: true },
      '2 instances of the current config (1 running a task) run for ClearML server https://old.example.com. After saving, they stay in Instances as orphans left to finish their work there: the app does not terminate them and no longer renews their leases, so each powers off once it is idle after its lease ends.',
    ],
    [
      'another region and prefix, leases on',
      { changed: ['region', 'prefix'], instances: 1, busy: 0, leases: true },
      "1 instance of the current config (not running a task) runs for region us-east-1, workers prefix 'dyn'. After saving, it leaves Instances: the app no longer sees it, does not terminate it and no longer renews its lease, so it powers off once it is idle after its lease ends. Stop everything (Overview) still finds it.",
    ],
    [
      'another server, leases off',
      { changed: ['server'], instances: 1, busy: 1, leases: false },
      '1 instance of the current config (running a task) runs for ClearML server https://old.example.com. After saving, it stays in Instances as an orphan left to finish its work there: the app does not terminate it and no longer renews its lease, and with leases off it keeps running, and billing, until you terminate it in Instances.',
    ],
    [
      'another region, leases off',
      { changed: ['region'], instances: 3, busy: 3, leases: false },
      '3 instances of the current config (3 running a task) run for region us-east-1. After saving, they leave Instances: the app no longer sees them, does not terminate them and no longer renews their leases, and with leases off they keep running, and billing, until you terminate them in the EC2 console. Stop everything (Overview) still finds them.',
    ],
  ] as const)('%s', (_, m, first) => {
    expect(worldMoveText({ ...m, changed: [...m.changed], from })).toEqual([
      first,
      `To end ${m.instances === 1 ? 'it' : 'them'} now instead, cancel, use Scale to zero on the Overview, then save.`,
    ]);
  });
});
