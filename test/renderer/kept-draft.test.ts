import { describe, expect, it } from 'vitest';
import { draftFromConfig } from '../../renderer/src/model/config-form.js';
import { keptDecision, keptText } from '../../renderer/src/model/kept-draft.js';
import { formReducer, initialFormState } from '../../renderer/src/model/settings-form.js';
import { createAppStore, type KeptDraftStorage } from '../../renderer/src/state/app-store.js';
import { localKeptDraft, KEPT_DRAFT_KEY } from '../../renderer/src/state/kept-draft-storage.js';
import { validConfig } from '../service/fixtures.js';
import { edit } from './draft.js';
import { createFakeApi, manualTimers, ok, settle, snapshot } from './fake-api.js';

const config = validConfig();
const base = draftFromConfig(config);
const mine = edit(base, (d) => void (d.region = 'eu-west-1'));
const here = { apiHost: config.clearml.apiHost, demo: false };

describe('keptDecision: whether kept edits are offered to this window', () => {
  const good = keptText({ base, draft: mine }, false, 1_000);
  const tweak = (f: (o: Record<string, unknown>) => void) => {
    const o = JSON.parse(good) as Record<string, unknown>;
    f(o);
    return JSON.stringify(o);
  };
  it.each([
    ['nothing kept', null, here, 'none'],
    ['not JSON (a damaged entry)', '{"v":1,', here, 'unreadable'],
    ['another version of the record', tweak((o) => (o['v'] = 2)), here, 'unreadable'],
    [
      'a field of the wrong kind',
      tweak((o) => ((o['draft'] as Record<string, unknown>)['region'] = 5)),
      here,
      'unreadable',
    ],
    [
      'a draft missing a part',
      tweak((o) => delete (o['base'] as Record<string, unknown>)['agent']),
      here,
      'unreadable',
    ],
    ['another ClearML server', good, { ...here, apiHost: 'https://api.other.example' }, 'other-engine'],
    ['the demo, where edits to a real config were kept', good, { ...here, demo: true }, 'other-engine'],
  ] as const)('%s: not offered (%s)', (_what, text, current, code) => {
    expect(keptDecision(text, current)).toEqual({ offer: false, code });
  });

  it('the same server: offered, with the edits and what they started from', () => {
    const d = keptDecision(good, { ...here, apiHost: ` ${here.apiHost} ` });
    expect(d.offer).toBe(true);
    if (d.offer)
      expect(d.kept).toMatchObject({ savedAt: 1_000, draft: { region: 'eu-west-1' }, base: { region: base.region } });
  });
});

describe("the form's 'restored' action", () => {
  const restore = (savedConfig: unknown, draft = mine) =>
    formReducer(initialFormState(savedConfig), {
      type: 'restored',
      base,
      draft,
      config: savedConfig,
      when: '2026-12-08 01:20',
    });

  it('brings the edits back unsaved, and says so', () => {
    const s = restore(config);
    expect(s).toMatchObject({ dirty: true, draft: { region: 'eu-west-1' } });
    expect(s.status).toEqual({
      tone: 'info',
      text: 'Unsaved edits from 2026-12-08 01:20 are back: Save them, or Discard changes.',
    });
  });

  it('merges them with what was saved since, part by part', () => {
    const since = { ...config, clearml: { ...config.clearml, webHost: 'https://web.example' } };
    const s = restore(since);
    expect(s.draft).toMatchObject({ region: 'eu-west-1', webHost: 'https://web.example' });
    expect(s.base.webHost).toBe('https://web.example');
    expect(s.status?.text).toMatch(/^Unsaved edits from .* are back: .* Web app host now shows what they saved\./i);
  });

  it("does not take the order of a part's keys (storage may change it) for a change saved elsewhere", () => {
    const reorder = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).reverse()) as T;
    const shuffled = { ...mine, resources: mine.resources.map(reorder), budgets: reorder(mine.budgets) };
    const s = formReducer(initialFormState(config), {
      type: 'restored',
      base: { ...base, resources: base.resources.map(reorder), budgets: reorder(base.budgets) },
      draft: shuffled,
      config,
      when: 'then',
    });
    expect(s.status).toEqual({
      tone: 'info',
      text: 'Unsaved edits from then are back: Save them, or Discard changes.',
    });
  });

  it('edits that were all saved already give a clean form', () => {
    const saved = { ...config, aws: { ...config.aws, region: 'eu-west-1' } };
    expect(restore(saved)).toMatchObject({ dirty: false, status: null, draft: { region: 'eu-west-1' } });
  });
});

function memoryStorage(): KeptDraftStorage & { text: string | null } {
  const m = {
    text: null as string | null,
    read: () => m.text,
    write: (t: string) => void (m.text = t),
    clear: () => void (m.text = null),
  };
  return m;
}

async function window(kept: KeptDraftStorage, savedConfig: unknown = config, demo = false) {
  const fake = createFakeApi(snapshot({ rev: 1, demo }));
  fake.on('config.get', () => ok({ config: savedConfig, demo }));
  const timers = manualTimers();
  const app = createAppStore(fake.api, { ...timers, keptDraft: kept, now: () => Date.UTC(2026, 11, 8, 1, 20) });
  const stop = app.actions.start();
  await settle();
  return { app, stop, form: () => app.store.getState().settingsForm };
}

describe('unsaved Settings edits across windows (a quit, a crash, a reload)', () => {
  it('are kept while the draft has edits and come back in the next window of the same server', async () => {
    const kept = memoryStorage();
    const first = await window(kept);
    first.app.actions.settingsForm({ type: 'edit', id: 'region', change: (d) => ({ ...d, region: 'eu-west-1' }) });
    expect(kept.text).not.toBeNull();
    first.stop();

    const second = await window(kept);
    expect(second.form()).toMatchObject({ dirty: true, draft: { region: 'eu-west-1' } });
    // Read back from storage, nothing counts as saved elsewhere meanwhile: the line says only that they are back.
    expect(second.form()?.status?.text).toMatch(
      /^Unsaved edits from \d{4}-\d\d-\d\d \d\d:\d\d are back: Save them, or Discard changes\.$/,
    );
    // Saved (or discarded): let go, so a third window starts clean.
    second.app.actions.settingsForm({ type: 'saved' });
    expect(kept.text).toBeNull();
    second.stop();
    const third = await window(kept);
    expect(third.form()?.dirty ?? false).toBe(false);
  });

  it("are not offered to another server's or the demo's configuration, and stay kept for their own", async () => {
    const kept = memoryStorage();
    const first = await window(kept);
    first.app.actions.settingsForm({ type: 'edit', id: 'region', change: (d) => ({ ...d, region: 'eu-west-1' }) });
    const text = kept.text;
    const other = { ...config, clearml: { ...config.clearml, apiHost: 'https://api.other.example' } };
    expect((await window(kept, other)).form()?.dirty ?? false).toBe(false);
    expect((await window(kept, config, true)).form()?.dirty ?? false).toBe(false);
    expect(kept.text).toBe(text);
  });

  it("the window's own storage: read back as written, and a storage that refuses keeps nothing without throwing", () => {
    const items = new Map<string, string>();
    const storage = {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
      removeItem: (k: string) => void items.delete(k),
    } as unknown as Storage;
    const s = localKeptDraft({ localStorage: storage });
    s.write('x');
    expect(items.get(KEPT_DRAFT_KEY)).toBe('x');
    expect(s.read()).toBe('x');
    s.clear();
    expect(s.read()).toBeNull();
    const full = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('denied');
      },
    } as unknown as Storage;
    const refusing = localKeptDraft({ localStorage: full });
    expect(() => refusing.write('x')).not.toThrow();
    expect(refusing.read()).toBeNull();
    expect(() => refusing.clear()).not.toThrow();
  });
});
