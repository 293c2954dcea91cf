import { describe, expect, it } from 'vitest';
import { draftFromConfig, validateDraft } from '../../renderer/src/model/config-form.js';
import { credentialsAdvice, lineDiff, usesDocker } from '../../renderer/src/model/instance-setup.js';
import { formReducer, initialFormState, shownIssues } from '../../renderer/src/model/settings-form.js';
import { validConfig } from '../service/fixtures.js';

describe('the Settings form reducer', () => {
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

  it('a refusal that only needs confirmation opens the confirm dialog instead of marking fields', () => {
    const needs = {
      instanceSetup: [{ path: 'agent.initScript', label: 'Init script', before: '', after: 'x' }],
      apiHost: null,
    };
    const s = formReducer(initialFormState(validConfig()), { type: 'rejected', issues: {}, needs });
    expect(s.dialog).toEqual({ kind: 'confirm', needs });
    expect(s.serverIssues).toEqual({});
    expect(formReducer(s, { type: 'saved' })).toMatchObject({ dialog: null, dirty: false });
  });

  it('the agent fields round-trip through the draft, fields it does not edit included', () => {
    const cfg = validConfig();
    const withAgent = { ...cfg, agent: { ...cfg.agent, initScript: 'echo hi', gitUser: 'bob' } };
    const v = validateDraft(draftFromConfig(withAgent));
    expect(v.valid).toBe(true);
    expect(v.config.agent).toMatchObject({ initScript: 'echo hi', gitUser: 'bob' });
  });
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
