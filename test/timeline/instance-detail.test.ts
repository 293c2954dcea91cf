// GetConsoleOutput end to end (provider → real SDK → EC2 emulator, base64 on the wire) and the instance detail
// built from the snapshot view, the cost history record, the EC2 tags and the timeline's markers.
import { GetConsoleOutputCommand } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { consoleText } from '../../electron/engine/emulators/console-output.js';
import type { InstanceRecord } from '../../electron/engine/cost/history.js';
import { Ec2Error, TAG } from '../../electron/engine/ports.js';
import { buildInstanceDetail, tailLines, wantsConsole } from '../../electron/engine/timeline/instance-detail.js';
import { consoleUnavailableText, InstanceDetailSchema } from '../../shared/instance-detail.js';
import { classifyEc2Error } from '../../electron/engine/ec2/errors.js';
import { errorText } from '../../shared/error-text.js';
import { instance } from '../service/fixtures.js';
import { launchSpec, startRig, type Rig } from '../ec2/helpers.js';

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe('GetConsoleOutput through the provider and the emulator', () => {
  it('no output while pending; then the boot log grows to cloud-init finishing and the agent starting', async () => {
    rig = await startRig({ emulator: { pendingSec: 5 } });
    const { instanceId } = await rig.ec2.runInstance(launchSpec());
    const none = await rig.ec2.consoleOutput(instanceId);
    expect(none.output).toBeNull();
    expect(none.capturedAt).toBe(rig.clock.now());

    rig.clock.advance(5000 + 4000);
    const early = await rig.ec2.consoleOutput(instanceId);
    expect(early.output).toMatch(/Linux version .*-aws/);
    expect(early.output).toMatch(/DMI: Amazon EC2 g4dn\.xlarge/);
    expect(early.output).not.toMatch(/finished at/);

    rig.clock.advance(20_000);
    const done = await rig.ec2.consoleOutput(instanceId);
    expect(done.output).toMatch(/starting clearml-agent daemon/);
    expect(done.output).toMatch(/Cloud-init v\. .* finished at/);
    expect(done.capturedAt).toBe(rig.clock.now());
  });

  it('is base64 on the wire, as EC2 sends it', async () => {
    rig = await startRig({ emulator: { pendingSec: 0 } });
    const { instanceId } = await rig.ec2.runInstance(launchSpec());
    rig.clock.advance(20_000);
    const raw = await rig.raw.send(new GetConsoleOutputCommand({ InstanceId: instanceId }));
    expect(raw.Output).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(raw.Output!, 'base64').toString('utf8')).toMatch(/^\[ +0\.000000\] Linux version/);
  });

  it('a broken AMI: the init script’s error is in the tail, and the capture stops at termination', async () => {
    rig = await startRig({ emulator: { pendingSec: 0, shuttingDownSec: 1 } });
    rig.emu.bootFailures.set(
      'ami-0123456789abcdef0',
      'clearml-autoscaler: python3 -m venv failed: ensurepip is not available (install python3-venv)',
    );
    const { instanceId } = await rig.ec2.runInstance(launchSpec());
    rig.clock.advance(30_000);
    await rig.ec2.terminateInstances([instanceId]);
    rig.clock.advance(60_000);
    const out = await rig.ec2.consoleOutput(instanceId);
    const tail = tailLines(out.output!, 5);
    expect(tail.some((l) => l.includes('ensurepip is not available'))).toBe(true);
    expect(tail.at(-1)).toMatch(/finished at/);
    expect(out.output).not.toMatch(/starting clearml-agent daemon/);
  });

  it('an unknown instance is EC2’s InvalidInstanceID.NotFound', async () => {
    rig = await startRig();
    const err = await rig.ec2.consoleOutput('i-0123456789abcdef0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Ec2Error);
    expect((err as Ec2Error).code).toBe('InvalidInstanceID.NotFound');
  });
});

describe('consoleText', () => {
  it('uses CRLF line ends like a serial console, and nothing before the instance runs', () => {
    const base = {
      instanceId: 'i-0abc',
      instanceType: 'm5.large',
      imageId: 'ami-1',
      privateIp: '10.0.0.12',
      runningSince: 1000,
      now: 1000 + 60_000,
      bootFailure: null,
    };
    expect(consoleText({ ...base, runningSince: null })).toBeNull();
    expect(consoleText(base)).toMatch(/\r\n$/);
    expect(consoleText(base)).toMatch(/Hostname set to <ip-10-0-0-12>/);
  });
});

describe('instance detail', () => {
  const now = Date.UTC(2026, 11, 4, 12, 0, 0);
  const record = (p: Partial<InstanceRecord> = {}): InstanceRecord => ({
    instanceId: 'i-0abc12345',
    queue: 'gpu',
    resource: 'gpu_t4',
    market: 'spot',
    hourlyPrice: 0.36,
    launchedAt: now - 3600_000,
    endedAt: null,
    registeredAt: now - 3540_000,
    tasks: [{ taskId: 't1', name: 'train', startedAt: now - 3000_000, endedAt: now - 600_000 }],
    instanceType: 'g4dn.xlarge',
    zone: 'us-east-1a',
    priceSource: { kind: 'bundled', fetchedAt: null },
    ...p,
  });

  it.each([
    ['booting (listed)', { view: instance({ instanceId: 'i-1', phase: 'booting' }) }, true],
    ['idle (listed)', { view: instance({ instanceId: 'i-1', phase: 'idle' }) }, false],
    ['ended, never registered: stuck', { record: record({ endedAt: now, registeredAt: null }) }, true],
    ['ended after working', { record: record({ endedAt: now }) }, false],
    ['registered per history, not listed', { record: record() }, false],
    ['launched, not listed yet, not registered', { record: record({ registeredAt: null }) }, true],
    ['unknown', {}, false],
  ] as const)('console wanted: %s → %s', (_n, i, want) => {
    expect(wantsConsole({ view: undefined, record: undefined, ...i })).toBe(want);
  });

  it('joins lifecycle, lease tag, price, spend and the markers naming it', () => {
    const view = instance({ instanceId: 'i-0abc12345', phase: 'idle', idleSec: 600, hourlyPrice: 0.36 });
    const d = buildInstanceDetail(
      {
        instanceId: 'i-0abc12345',
        now,
        view,
        record: record(),
        ec2: {
          instanceId: 'i-0abc12345',
          state: 'running',
          instanceType: 'g4dn.xlarge',
          market: 'spot',
          zone: 'us-east-1a',
          subnetId: null,
          launchedAt: now - 3600_000,
          tags: { [TAG.lease]: String((now + 1200_000) / 1000) },
          clientToken: null,
          stateReasonCode: null,
        },
        markers: [
          { at: now - 3600_000, kind: 'launch', message: 'launched', instanceIds: ['i-0abc12345'] },
          { at: now - 3600_000, kind: 'launch', message: 'other', instanceIds: ['i-0other000'] },
        ],
      },
      { state: 'not-needed' },
    );
    expect(InstanceDetailSchema.parse(d)).toEqual(d);
    expect(d).toMatchObject({
      known: true,
      phase: 'idle',
      registeredAt: now - 3540_000,
      idleSince: now - 600_000,
      leaseUntil: now + 1200_000,
      hourlyPrice: 0.36,
      priceSource: 'bundled price table',
      tasks: [{ taskId: 't1', name: 'train' }],
    });
    expect(d.spend).toBeCloseTo(0.36, 9); // one hour at $0.36/h
    expect(d.events.map((e) => e.message)).toEqual(['launched']);
  });

  // Adopted from ClearML's autoscaler 2 h after EC2 launched it: listed (the view says when), or ended (the record
  // starts at the adoption and keeps EC2's launch aside); one this app launched has no adoption.
  const adopted = now - 3600_000;
  const ec2Launch = now - 3 * 3600_000;
  it.each([
    [
      'adopted, listed',
      instance({ instanceId: 'i-0abc12345', launchedAt: ec2Launch, adoptedAt: adopted }),
      undefined,
      ec2Launch,
      adopted,
    ],
    [
      'adopted, ended',
      undefined,
      record({ launchedAt: adopted, ec2LaunchedAt: ec2Launch, endedAt: now }),
      ec2Launch,
      adopted,
    ],
    [
      'launched by this app, listed',
      instance({ instanceId: 'i-0abc12345', launchedAt: ec2Launch }),
      undefined,
      ec2Launch,
      null,
    ],
    ['launched by this app, ended', undefined, record({ launchedAt: ec2Launch, endedAt: now }), ec2Launch, null],
  ] as const)("%s: launched at EC2's launch, adopted when it was", (_n, view, rec, launchedAt, adoptedAt) => {
    const d = buildInstanceDetail(
      { instanceId: 'i-0abc12345', now, view, record: rec, ec2: undefined, markers: [] },
      { state: 'not-needed' },
    );
    expect(InstanceDetailSchema.parse(d)).toEqual(d);
    expect({ launchedAt: d.launchedAt, adoptedAt: d.adoptedAt }).toEqual({ launchedAt, adoptedAt });
  });

  it('a terminated instance: the reason from its termination marker', () => {
    const d = buildInstanceDetail(
      {
        instanceId: 'i-0abc12345',
        now,
        view: undefined,
        record: record({ endedAt: now - 60_000, registeredAt: null, tasks: [] }),
        ec2: undefined,
        markers: [
          {
            at: now - 60_000,
            kind: 'terminate',
            message: 'terminated 1 instance on gpu: no ClearML worker registered within the 5 min spin-up time',
            instanceIds: ['i-0abc12345'],
          },
        ],
      },
      { state: 'shown', lines: ['boot', 'failed'], capturedAt: now },
    );
    expect(d.phase).toBeNull();
    expect(d.endReason).toMatch(/spin-up time/);
    expect(d.console).toEqual({ state: 'shown', lines: ['boot', 'failed'], capturedAt: now });
  });

  it('a spot instance AWS interrupted in its first hour: the reason in words, and no spend', () => {
    const d = buildInstanceDetail(
      {
        instanceId: 'i-0abc12345',
        now,
        view: undefined,
        record: record({
          market: 'spot',
          endedAt: now - 1800_000,
          endReason: 'Server.SpotInstanceTermination',
        }),
        ec2: undefined,
        markers: [],
      },
      { state: 'not-needed' },
    );
    expect(d.endReason).toBe('spot instance interrupted by AWS in its first hour: not charged');
    expect(d.spend).toBe(0);
  });
});

describe('consoleUnavailableText: the console tail missing, in the error’s own words', () => {
  const ec2 = (code: string, message: string) =>
    errorText(
      classifyEc2Error(Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode: 400 } }), {
        action: 'GetConsoleOutput',
      }),
    );
  it.each([
    [
      ec2('UnauthorizedOperation', 'You are not authorized to perform this operation.'),
      /^The console output could not be read: The AWS identity is not allowed to call ec2:GetConsoleOutput \(UnauthorizedOperation\): add it to the IAM policy of these credentials\.$/,
    ],
    [ec2('InvalidInstanceID.NotFound', 'The instance ID i-1 does not exist'), /it may be gone already\)\.$/],
    [
      'connect ECONNREFUSED 127.0.0.1:4566',
      /^The console output could not be read: connect ECONNREFUSED 127\.0\.0\.1:4566\.$/,
    ],
  ])('%s', (message, text) => {
    const said = consoleUnavailableText(message);
    expect(said).toMatch(text);
    // One full stop at the end, and no advice the error did not give (a gone instance needs no permission).
    expect(said).not.toMatch(/\.\.(?!\.)/);
    expect(said.match(/GetConsoleOutput/g)?.length ?? 0).toBe(message.includes('GetConsoleOutput') ? 1 : 0);
  });
});
