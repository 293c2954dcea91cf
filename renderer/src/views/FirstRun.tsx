/**
 * First run (no config, no credentials): a short setup ClearML → AWS → first queue and resource, or a demo
 * that says plainly it is one. Next on the ClearML and AWS steps runs the Credentials tab's connection test on the
 * values typed (nothing is saved until the last step), so a wrong key or host shows here rather than later on the
 * dashboard; "Continue anyway" goes on for a server reachable only later (a VPN not up yet).
 */
import { isInsecureApiHost, normalizeApiHost } from '../../../shared/config-review.js';
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import { invalidControls } from '../components/invalid-fields.js';
import { attentionText } from '../model/attention.js';
import { TextField, SelectField } from '../components/Field.js';
import { unavailable } from '../components/busy.js';
import { emptyQueue, emptyResource, validateDraft, draftFromConfig, type ConfigDraft } from '../model/config-form.js';
import { credentialIssues, type Issues } from '../model/credentials.js';
import { useActions, useApp, usePending } from '../state/react.js';
import { ImportDialog } from './settings/ImportDialog.js';

const STEPS = ['ClearML', 'AWS', 'First queue'] as const;

/** The connection check of a step: running, or what failed. */
type Check =
  { step: number; state: 'checking' } | { step: number; state: 'failed'; message: string; details: string[] };

interface Wizard {
  apiHost: string;
  clearmlAccessKey: string;
  clearmlSecretKey: string;
  region: string;
  awsAccessKeyId: string;
  awsSecretAccessKey: string;
  queue: string;
  resource: string;
  instanceType: string;
  amiId: string;
  market: 'spot' | 'on-demand';
  maxInstances: string;
}

const INITIAL: Wizard = {
  apiHost: 'https://api.clear.ml',
  clearmlAccessKey: '',
  clearmlSecretKey: '',
  region: 'us-east-1',
  awsAccessKeyId: '',
  awsSecretAccessKey: '',
  queue: 'default',
  resource: 'gpu',
  instanceType: 'g4dn.xlarge',
  amiId: '',
  market: 'spot',
  maxInstances: '2',
};

function toDraft(w: Wizard): { draft: ConfigDraft; resourceUid: string; entryUid: string } {
  const draft = draftFromConfig(null);
  const r = { ...emptyResource(w.resource), instanceType: w.instanceType, amiId: w.amiId, market: w.market };
  const q = emptyQueue(w.queue, w.resource);
  const entry = { ...q.entries[0]!, maxInstances: w.maxInstances };
  draft.apiHost = w.apiHost;
  draft.region = w.region;
  draft.resources = [r];
  draft.queues = [{ ...q, entries: [entry] }];
  return { draft, resourceUid: r.uid, entryUid: entry.uid };
}

export function FirstRun() {
  const actions = useActions();
  const demoPending = usePending('demo');
  // ClearML keys the engine already finds outside the app (~/clearml.conf, the environment), with their server.
  const outside = useApp((s) => s.credentials?.clearml.fallback ?? null);
  const outsideHost = useApp((s) => s.credentials?.clearml.fallbackApiHost ?? null);
  // What was found there and ignored (a clearml.conf with a syntax error): said before the user retypes the keys.
  const outsideProblem = useApp((s) => s.credentials?.clearml.fallbackProblem ?? null);
  const [step, setStep] = useState(0);
  const [w, setW] = useState<Wizard>(() => ({ ...INITIAL, apiHost: outsideHost ?? INITIAL.apiHost }));
  // With keys outside, leaving both key fields empty means: use those.
  const keysGiven = w.clearmlAccessKey.trim() !== '' || w.clearmlSecretKey !== '';
  const keysOutside = outside !== null && !keysGiven;
  const [attempted, setAttempted] = useState<Set<number>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [server, setServer] = useState<Issues>({});
  const [importing, setImporting] = useState(false);
  const [check, setCheck] = useState<Check | null>(null);
  // Said once when Next or Save and finish is refused: which fields of the step need attention.
  const [refused, setRefused] = useState('');
  // A check answered after the user went Back, or edited a field, is about values no longer on screen: dropped.
  const checkRun = useRef(0);
  const form = useRef<HTMLFormElement>(null);
  const shownStep = useRef(step);

  // A new step replaces the fields (and the Back, Next or Continue anyway that was pressed): focus goes to the new
  // step's first field rather than dropping to the page's body. Before paint, so nothing else grabs it first.
  useLayoutEffect(() => {
    if (shownStep.current === step) return;
    shownStep.current = step;
    form.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, [step]);

  const built = useMemo(() => {
    const { draft, resourceUid, entryUid } = toDraft(w);
    const v = validateDraft(draft);
    const pick = (id: string) => v.issues[id] ?? [];
    // Keys found outside belong to the server named beside them: never sent to another one.
    const clearml = keysOutside
      ? outsideHost && normalizeApiHost(w.apiHost) !== normalizeApiHost(outsideHost)
        ? { accessKey: [`The keys found are for ${outsideHost}: enter the keys for this host, or use that host`] }
        : {}
      : credentialIssues({
          kind: 'clearml',
          accessKey: w.clearmlAccessKey.trim(),
          secretKey: w.clearmlSecretKey,
        });
    const awsGiven = w.awsAccessKeyId.trim() !== '' || w.awsSecretAccessKey !== '';
    const aws = awsGiven
      ? credentialIssues({ kind: 'aws', accessKeyId: w.awsAccessKeyId.trim(), secretAccessKey: w.awsSecretAccessKey })
      : {};
    const issues: Issues = {
      apiHost: pick('apiHost'),
      clearmlAccessKey: clearml['accessKey'] ?? [],
      clearmlSecretKey: clearml['secretKey'] ?? [],
      region: pick('region'),
      awsAccessKeyId: aws['accessKeyId'] ?? [],
      awsSecretAccessKey: aws['secretAccessKey'] ?? [],
      queue: [...pick(`queue:${draft.queues[0]!.uid}:name`), ...pick(`queue:${draft.queues[0]!.uid}:entries`)],
      resource: pick(`resource:${resourceUid}:name`),
      instanceType: pick(`resource:${resourceUid}:instanceType`),
      amiId: pick(`resource:${resourceUid}:amiId`),
      maxInstances: pick(`entry:${entryUid}:maxInstances`),
    };
    return { config: v.config, issues, awsGiven };
  }, [w, keysOutside, outsideHost]);

  const stepFields: (keyof Wizard)[][] = [
    ['apiHost', 'clearmlAccessKey', 'clearmlSecretKey'],
    ['region', 'awsAccessKeyId', 'awsSecretAccessKey'],
    ['queue', 'resource', 'instanceType', 'amiId', 'market', 'maxInstances'],
  ];
  const stepValid = (i: number) => (stepFields[i] ?? []).every((f) => (built.issues[f] ?? []).length === 0);
  const show = (f: keyof Wizard, i: number) => [
    ...(attempted.has(i) ? (built.issues[f] ?? []) : []),
    ...(server[f] ?? []),
  ];
  const field = (f: keyof Wizard, i: number, label: string, extra: Partial<Parameters<typeof TextField>[0]> = {}) => (
    <TextField
      label={label}
      value={w[f]}
      issues={show(f, i)}
      onChange={(x) => {
        setW((o) => ({ ...o, [f]: x }));
        setServer({});
        setRefused('');
        checkRun.current++;
        setCheck(null);
      }}
      {...extra}
    />
  );

  const advance = (from: number) => {
    checkRun.current++;
    setCheck(null);
    setStep(from + 1);
  };

  /** Shows the step's messages at once, names the invalid fields in one announcement and focuses the first. */
  const refuse = (show: () => void) => {
    flushSync(show);
    const bad = invalidControls(form.current);
    setRefused(`Step ${shownStep.current + 1}, ${STEPS[shownStep.current]}: ${attentionText(bad.map((b) => b.name))}.`);
    bad[0]?.el.focus();
  };

  const next = async () => {
    if (!stepValid(step)) return refuse(() => setAttempted((a) => new Set(a).add(step)));
    setAttempted((a) => new Set(a).add(step));
    if (step > 1) return advance(step);
    const from = step;
    const run = ++checkRun.current;
    setCheck({ step: from, state: 'checking' });
    // An empty key field is left out: the check then uses what the engine would (keys found outside, SDK chain).
    const opt = <K extends string>(k: K, v: string): Partial<Record<K, string>> =>
      v === '' ? {} : ({ [k]: v } as Record<K, string>);
    const r = await actions.testCredentials(
      from === 0
        ? {
            kind: 'clearml',
            unsaved: {
              apiHost: w.apiHost.trim(),
              ...(keysOutside
                ? {}
                : { ...opt('accessKey', w.clearmlAccessKey.trim()), ...opt('secretKey', w.clearmlSecretKey) }),
            },
          }
        : {
            kind: 'aws',
            unsaved: {
              region: w.region.trim(),
              ...opt('accessKeyId', w.awsAccessKeyId.trim()),
              ...opt('secretAccessKey', w.awsSecretAccessKey),
            },
          },
    );
    if (run !== checkRun.current) return;
    if (r.ok && r.value.ok) return advance(from);
    setCheck(
      r.ok
        ? { step: from, state: 'failed', message: r.value.message, details: r.value.details }
        : { step: from, state: 'failed', message: `The check could not run: ${r.error.message}`, details: [] },
    );
  };

  const checking = check?.step === step && check.state === 'checking';
  const failed = check?.step === step && check.state === 'failed' ? check : null;

  const finish = async () => {
    const bad = [0, 1, 2].find((i) => !stepValid(i));
    if (bad !== undefined)
      return refuse(() => {
        setAttempted(new Set([0, 1, 2]));
        setStep(bad);
      });
    setAttempted(new Set([0, 1, 2]));
    setBusy(true);
    setError(null);
    try {
      if (!keysOutside) {
        const c = await actions.setCredentials({
          kind: 'clearml',
          accessKey: w.clearmlAccessKey.trim(),
          secretKey: w.clearmlSecretKey,
        });
        setW((o) => ({ ...o, clearmlSecretKey: '' }));
        if (!c.ok) {
          setStep(0);
          return setError(`ClearML credentials not saved: ${c.error.message}`);
        }
      }
      if (built.awsGiven) {
        const a = await actions.setCredentials({
          kind: 'aws',
          accessKeyId: w.awsAccessKeyId.trim(),
          secretAccessKey: w.awsSecretAccessKey,
        });
        setW((o) => ({ ...o, awsSecretAccessKey: '' }));
        if (!a.ok) {
          setStep(1);
          return setError(`AWS credentials not saved: ${a.error.message}`);
        }
      }
      // The keys were typed for this host in this same wizard (which warned about plain http), or are the ones
      // read from outside for their own server (checked above): that is the confirmation the API host needs.
      const r = await actions.saveConfig(built.config, { apiHost: w.apiHost.trim() });
      if (!r.ok) return setError(`Configuration not saved: ${r.error.message}`);
      if (!r.value.ok) {
        setError(
          'Configuration not saved; the engine rejected: ' +
            r.value.issues.map((i) => `${i.path}: ${i.message}`).join('; '),
        );
        return;
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="first-run">
      <section className="card demo-offer" aria-labelledby="demo-heading">
        <h2 id="demo-heading">Just looking?</h2>
        <p>
          The demo runs this app against a <strong>simulated</strong> ClearML server and a <strong>simulated</strong>{' '}
          EC2 with a synthetic workload. No credentials needed, nothing real is launched, nothing is billed.
        </p>
        <button type="button" className="primary" disabled={demoPending} onClick={() => void actions.startDemo()}>
          {demoPending ? 'Starting the demo…' : 'Try the demo'}
        </button>
      </section>

      <section className="card" aria-labelledby="switch-heading">
        <h2 id="switch-heading">Switching from ClearML's autoscaler?</h2>
        <p>
          Import its configuration (the YAML of its AWS autoscaler): queues, instance types, caps, the idle time and
          what runs on each instance carry over, and the preview lists every field that does not and every way this app
          behaves differently. It opens in the settings editor; nothing is saved until you press Save there. The ClearML
          keys come from ~/clearml.conf when it has them; otherwise add them in the Credentials tab.
        </p>
        <button type="button" onClick={() => setImporting(true)}>
          Import ClearML's configuration…
        </button>
      </section>

      <section className="card" aria-labelledby="setup-heading">
        <h2 id="setup-heading">Set up autoscaling</h2>
        <ol className="steps" aria-label="Setup steps">
          {STEPS.map((s, i) => (
            <li
              key={s}
              aria-current={i === step ? 'step' : undefined}
              className={i === step ? 'current' : i < step ? 'done' : ''}
            >
              {i + 1}. {s}
            </li>
          ))}
        </ol>
        <form
          ref={form}
          noValidate
          aria-label={`Step ${step + 1}: ${STEPS[step]}`}
          onSubmit={(e) => {
            e.preventDefault();
            if (busy || checking) return;
            if (step < 2) void next();
            else void finish();
          }}
        >
          {step === 0 && (
            <div className="grid">
              {outside !== null && (
                <p className="note field-wide" role="note">
                  ClearML keys found in {outside === 'environment' ? 'the environment' : outside}
                  {outsideHost ? `, for ${outsideHost}` : ''}. Leave the keys empty to use them: the engine reads them
                  from there, so a later clearml-init is picked up too. Or enter other keys, to be kept in the keychain.
                </p>
              )}
              {outsideProblem !== null && (
                <p className="note tone-warn field-wide" role="note" data-testid="outside-problem">
                  {outsideProblem}. Fix it, or enter the keys here.
                </p>
              )}
              {field('apiHost', 0, 'ClearML API host', {
                hint: 'api_server in clearml.conf',
                placeholder: 'https://api.clear.ml',
              })}
              {field('clearmlAccessKey', 0, outside !== null ? 'Access key (optional)' : 'Access key', {
                hint: 'ClearML → Settings → Workspace → Create new credentials',
              })}
              {field('clearmlSecretKey', 0, outside !== null ? 'Secret key (optional)' : 'Secret key', {
                type: 'password',
                autoComplete: 'new-password',
              })}
              {isInsecureApiHost(w.apiHost) && (
                <p className="note tone-warn" role="note">
                  This host is plain http on another machine: the keys and every request would cross the network
                  unencrypted. Use https if the server offers it.
                </p>
              )}
            </div>
          )}
          {step === 1 && (
            <div className="grid">
              {field('region', 1, 'AWS region', { placeholder: 'us-east-1' })}
              {field('awsAccessKeyId', 1, 'Access key id (optional)', {
                hint: 'Leave both empty to use the AWS SDK default chain (environment, ~/.aws profiles, SSO)',
                placeholder: 'AKIA…',
              })}
              {field('awsSecretAccessKey', 1, 'Secret access key (optional)', {
                type: 'password',
                autoComplete: 'new-password',
              })}
            </div>
          )}
          {step === 2 && (
            <div className="grid">
              {field('queue', 2, 'ClearML queue', { hint: 'The queue your tasks are enqueued to' })}
              {field('resource', 2, 'Resource name', { hint: 'Letters, digits, _ - .' })}
              {field('instanceType', 2, 'Instance type', { hint: 'family.size, e.g. g4dn.xlarge' })}
              {field('amiId', 2, 'AMI id', {
                hint: 'An image with Docker (and NVIDIA drivers for GPU types)',
                placeholder: 'ami-0123456789abcdef0',
              })}
              <SelectField
                label="Market"
                hint="Spot is cheaper; AWS can reclaim it at short notice"
                value={w.market}
                options={[
                  { value: 'spot', label: 'Spot' },
                  { value: 'on-demand', label: 'On-demand' },
                ]}
                onChange={(x) => setW((o) => ({ ...o, market: x }))}
              />
              {field('maxInstances', 2, 'Max instances', { type: 'number', inputMode: 'numeric', hint: '0 to 10000' })}
            </div>
          )}
          {failed && (
            <div role="alert" className="note tone-error" data-testid="step-check-failed">
              <p>
                <strong>{step === 0 ? 'The ClearML check failed.' : 'The AWS check failed.'}</strong> {failed.message}
              </p>
              {failed.details.length > 0 && (
                <ul className="small">
                  {failed.details.map((d) => (
                    <li key={d}>{d}</li>
                  ))}
                </ul>
              )}
              <p>
                Fix the fields above and press Next to check again, or continue anyway if the{' '}
                {step === 0 ? 'server' : 'account'} is reachable only later (a VPN not connected yet, say): the
                dashboard will say if it still fails.
              </p>
            </div>
          )}
          <p role="status" className="tone-error refused">
            {refused}
          </p>
          {error && (
            <p role="alert" className="tone-error">
              {error}
            </p>
          )}
          <div className="toolbar">
            {step > 0 && (
              <button
                type="button"
                onClick={() => {
                  checkRun.current++;
                  setCheck(null);
                  setStep(step - 1);
                }}
              >
                Back
              </button>
            )}
            {failed && (
              <button type="button" onClick={() => advance(step)}>
                Continue anyway
              </button>
            )}
            <button type="submit" className="primary" {...unavailable(busy || checking)}>
              {step < 2 ? (checking ? 'Checking…' : 'Next') : busy ? 'Saving…' : 'Save and finish'}
            </button>
          </div>
          {checking && (
            <p className="muted small" role="status">
              Checking the connection to {step === 0 ? w.apiHost.trim() : `AWS in ${w.region.trim()}`}…
            </p>
          )}
          <p className="muted small">Autoscaling stays off until you turn it on in the Overview.</p>
        </form>
      </section>
      {importing && (
        <ImportDialog
          askApiHost
          current={null}
          onClose={() => setImporting(false)}
          onUse={(loaded) => actions.openImportInEditor(loaded)}
        />
      )}
    </div>
  );
}
