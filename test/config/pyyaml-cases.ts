/**
 * Plain scalars and the value PyYAML's SafeLoader gives each (checked against PyYAML itself by
 * test/conformance/pyyaml-scalars.test.ts). `pyyaml` is set only where PyYAML's value differs from ours, and says
 * what PyYAML gives instead.
 */
export interface ScalarCase {
  source: string;
  value: string | number | boolean | null;
  pyyaml?: string;
}

export const SCALAR_CASES: ScalarCase[] = [
  { source: 'yes', value: true },
  { source: 'Yes', value: true },
  { source: 'YES', value: true },
  { source: 'no', value: false },
  { source: 'NO', value: false },
  { source: 'on', value: true },
  { source: 'Off', value: false },
  { source: 'true', value: true },
  { source: 'False', value: false },
  { source: 'TRUE', value: true },
  { source: 'tRUE', value: 'tRUE' },
  { source: 'y', value: 'y' },
  { source: 'Y', value: 'Y' },
  { source: 'n', value: 'n' },
  { source: 'N', value: 'N' },
  { source: '0100', value: 64 },
  { source: '0', value: 0 },
  { source: '-0', value: 0 },
  { source: '+12', value: 12 },
  { source: '1_000', value: 1000 },
  { source: '09', value: '09' },
  { source: '0x1F', value: 31 },
  { source: '0b101', value: 5 },
  { source: '0o17', value: '0o17' },
  { source: '1:30', value: 90 },
  { source: '-1:30', value: -90 },
  { source: '0:30', value: '0:30' },
  { source: '12:60', value: '12:60' },
  { source: '190:20:30', value: 685230 },
  { source: '1:30.5', value: 90.5 },
  { source: '1e3', value: '1e3' },
  { source: '1.0e3', value: '1.0e3' },
  { source: '1.0e+3', value: 1000 },
  { source: '1.5', value: 1.5 },
  { source: '3.7', value: 3.7 },
  { source: '.5', value: 0.5 },
  { source: '1.', value: 1 },
  { source: '0.1_5', value: 0.15 },
  { source: '1_0.5', value: 10.5 },
  { source: '.inf', value: Number.POSITIVE_INFINITY },
  { source: '-.inf', value: Number.NEGATIVE_INFINITY },
  { source: '.nan', value: Number.NaN },
  { source: '~', value: null },
  { source: 'null', value: null },
  { source: 'Null', value: null },
  { source: 'NULL', value: null },
  { source: '', value: null },
  { source: 'ami-0123', value: 'ami-0123' },
  { source: '2024-01-01', value: '2024-01-01', pyyaml: 'a date object' },
  { source: '=', value: '=', pyyaml: 'an error: no constructor for the value tag' },
];
