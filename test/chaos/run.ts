/**
 * `npm run chaos -- [--seed N] [--runs N] [--chaos-min M] [--drain-min M] [--preference P] [--no-journal] [--no-hangs]
 * [--verbose]`
 * (`--help` lists them)
 *
 * Seeded runs of the engine against the emulators under kills and faults (see chaos.ts), one line per run, then
 * the violation count of every invariant and the kills and faults injected. Exits 1 on any violation.
 * `--no-journal` turns crash safety off, to see what it prevents. A failing run is replayed with its seed:
 * `npm run chaos -- --seed <seed> --runs 1 --verbose`, though not always along the same course: some steps take
 * real time (a ClearML hang's timeout among them), so how much else gets done meanwhile depends on the machine.
 */
import { parseArgs } from 'node:util';
import { PREFERENCES } from '../../shared/config.js';
import { FAULT_KINDS, KILL_POINTS, runChaos, type ChaosResult } from './chaos.js';
import { INVARIANTS } from './invariants.js';

const USAGE = `usage: npm run chaos -- [options]
  --seed N          the first run's seed (default 1); run k uses seed N + k
  --runs N          how many seeded runs (default 10)
  --chaos-min M     virtual minutes of task arrivals, faults and kills per run (default 120)
  --drain-min M     quiet virtual minutes after them, before the invariants are checked (default 60)
  --preference P    scaling.preference of every run: cost, balanced or latency (default: by seed, seed mod 3
                    picks cost, balanced, latency in turn)
  --no-journal      turn the crash-safety intent journal off, to see what it prevents
  --no-hangs        no ClearML hangs (each costs ~0.3 s of real time: the client's timeout is real)
  --verbose         also print each kill (where and when) and the start of the drain
A failing run replays with: npm run chaos -- --seed <seed> --runs 1 --verbose
(the same seed, not always the same course: some steps take real time, a ClearML hang's timeout among them,
so on a busier or idler machine a run can go another way; replay a failing seed a few times)`;

function parse() {
  try {
    return parseArgs({
      options: {
        seed: { type: 'string', default: '1' },
        runs: { type: 'string', default: '10' },
        'chaos-min': { type: 'string', default: '120' },
        'drain-min': { type: 'string', default: '60' },
        preference: { type: 'string' },
        'no-journal': { type: 'boolean', default: false },
        'no-hangs': { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

const { values } = parse();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const num = (name: string, v: string | undefined, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be a whole number ≥ ${min}, got '${v}'`);
    process.exit(2);
  }
  return n;
};

const preference = ((v: string | undefined) => {
  const p = PREFERENCES.find((x) => x === v);
  if (v !== undefined && !p) {
    console.error(`--preference must be one of ${PREFERENCES.join(', ')}, got '${v}'`);
    process.exit(2);
  }
  return p;
})(values.preference);
const first = num('seed', values.seed, 0);
const runs = num('runs', values.runs, 1);
const chaosMin = num('chaos-min', values['chaos-min'], 1);
const drainMin = num('drain-min', values['drain-min'], 0);

async function main(): Promise<number> {
  console.log(
    `chaos: ${runs} run${runs === 1 ? '' : 's'} from seed ${first}, ${chaosMin} min of chaos + ${drainMin} min of drain each` +
      `${values['no-journal'] ? ', crash-safety journal OFF' : ''}`,
  );
  console.log('  seed  pref      delay conc  ticks restarts launches  tasks done  kills faults  violations  real');
  const results: ChaosResult[] = [];
  for (let seed = first; seed < first + runs; seed++) {
    const r = await runChaos({
      seed,
      chaosMin,
      drainMin,
      preference,
      crashSafety: !values['no-journal'],
      hangs: !values['no-hangs'],
      log: values.verbose ? (l) => console.log(l) : undefined,
    });
    results.push(r);
    const k = Object.values(r.kills).reduce((a, b) => a + b, 0);
    const f = Object.values(r.faults).reduce((a, b) => a + b, 0);
    const s = r.stats;
    console.log(
      `  ${pad(seed, 4)}  ${s.preference.padEnd(8)}  ${pad(`${s.listingDelaySec}s`, 5)} ${pad(s.launchConcurrency, 4)}  ${pad(s.ticks, 5)} ${pad(s.restarts, 8)} ${pad(s.launches, 8)}  ${pad(s.tasks, 5)} ${pad(s.completed, 4)}  ${pad(k, 5)} ${pad(f, 6)}  ${pad(r.violations, 10)}  ${(s.realMs / 1000).toFixed(1)}s`,
    );
    if (r.violations && (values.verbose || runs <= 20)) {
      for (const name of INVARIANTS)
        for (const v of r.verdict[name].slice(0, 5))
          console.log(
            `        ${name} at t+${Math.round((v.at - r.history.samples[0]!.at) / 60_000)} min: ${v.detail}`,
          );
    }
  }

  const total = <K extends string>(keys: readonly K[], get: (r: ChaosResult) => Record<K, number>) =>
    keys.map((key) => [key, results.reduce((n, r) => n + get(r)[key], 0)] as const);
  const violations = INVARIANTS.map((n) => [n, results.reduce((s, r) => s + r.verdict[n].length, 0)] as const);
  console.log('\ninvariant violations:');
  for (const [n, c] of violations) console.log(`  ${n.padEnd(16)} ${c}`);
  console.log('\nkills injected:');
  for (const [n, c] of total(KILL_POINTS, (r) => r.kills)) console.log(`  ${n.padEnd(20)} ${c}`);
  console.log('\nfaults injected:');
  for (const [n, c] of total(FAULT_KINDS, (r) => r.faults)) console.log(`  ${n.padEnd(20)} ${c}`);
  const bad = results.filter((r) => r.violations > 0).map((r) => r.seed);
  const sum = violations.reduce((s, [, c]) => s + c, 0);
  console.log(
    `\n${sum} violation${sum === 1 ? '' : 's'} in ${bad.length} of ${results.length} runs` +
      (bad.length ? ` (seeds ${bad.join(', ')}; replay one with --seed <seed> --runs 1 --verbose)` : ''),
  );
  return sum === 0 ? 0 : 1;
}

function pad(v: string | number, n: number): string {
  return String(v).padStart(n);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('chaos run crashed:', err);
    process.exit(2);
  },
);
