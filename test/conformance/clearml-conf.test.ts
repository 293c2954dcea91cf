// Our reading of ~/clearml.conf against ClearML's own code. First the real `clearml-init` wizard (the venv's clearml
// package) writes the file from the block the web app's "Copy to clipboard" gives, verifying the pasted keys against
// our ClearML emulator with ClearML's own Session; we must read back exactly what was pasted. Then a table of
// realistic clearml.conf texts goes through ClearML's vendored pyhocon (what the SDK and the agent read the file with)
// and through our parser: the six values the app uses must come out the same, and a text one refuses the other must
// refuse too.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HoconError } from '../../electron/engine/clearml/hocon.js';
import { webHostFromApiHost } from '../../shared/clearml-hosts.js';
import { readClearmlConf, resolveClearmlCredentials } from '../../electron/engine/clearml/credentials.js';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/emulators/clearml-emulator.js';
import { systemClock } from '../../electron/engine/ports.js';
import { KEYS } from '../engine/world.js';
import { venvBin } from './peers.js';

const run = promisify(execFile);

const dir = mkdtempSync(path.join(tmpdir(), 'clearml-conf-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Only the variables a child needs: a developer's own CLEARML_* settings or ~/clearml.conf must not leak into what
 * the wizard or pyhocon see.
 */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', ...extra };
}

// ------------------------------------------------------------------ the real clearml-init

// Made-up web and files servers: the wizard never contacts them, and it refuses three URLs that are not distinct.
const WEB = 'http://clearml-web.example.invalid:8080';
const FILES = 'http://clearml-files.example.invalid:8081';

interface WizardRun {
  code: number | null;
  output: string;
  confPath: string;
  api: string;
  loginCalls: number;
}

let clearml: ClearmlEmulator | null = null;
let wizard: WizardRun | null = null;

/** Runs `clearml-init --file <path>` with `stdin` as what the user pastes; resolves with its exit code and output. */
function runWizard(confPath: string, stdin: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(path.join(venvBin(), 'clearml-init'), ['--file', confPath], {
      env: childEnv(),
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 90_000);
    proc.once('error', reject);
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    proc.stdin.end(stdin);
  });
}

beforeAll(async () => {
  clearml = await startClearmlEmulator({ clock: systemClock, ...KEYS });
  const confPath = path.join(dir, 'clearml.conf');
  // What the web app's "Copy to clipboard" gives. The wizard reads stdin line by line until a line that is exactly
  // `}`, so the block's closing brace must stand alone on the last line.
  const pasted = [
    'api {',
    `  web_server: ${WEB}`,
    `  api_server: ${clearml.url}`,
    `  files_server: ${FILES}`,
    `  credentials {"access_key": "${KEYS.accessKey}", "secret_key": "${KEYS.secretKey}"}`,
    '}',
    '',
  ].join('\n');
  const { code, output } = await runWizard(confPath, pasted);
  wizard = { code, output, confPath, api: clearml.url, loginCalls: clearml.calls['auth.login'] ?? 0 };
});
afterAll(async () => {
  await clearml?.close();
});

/** The file the wizard wrote; fails with the wizard's output if it did not write one. */
function wizardConf(): string {
  if (!wizard || wizard.code !== 0 || !existsSync(wizard.confPath))
    throw new Error(`clearml-init did not write ${wizard?.confPath} (exit ${wizard?.code}):\n${wizard?.output}`);
  return readFileSync(wizard.confPath, 'utf8');
}

describe('the real clearml-init', () => {
  it('verifies the pasted keys against the emulator and writes a clearml.conf we read back exactly', () => {
    wizardConf();
    expect(wizard!.output).toContain('ClearML setup completed successfully.');
    // Its credential check really went to the emulator (a Session that logs in), not around it.
    expect(wizard!.loginCalls).toBeGreaterThanOrEqual(1);
    expect(resolveClearmlCredentials({ stored: null, env: {}, clearmlConfPath: wizard!.confPath })).toEqual({
      credentials: KEYS,
      apiHost: wizard!.api,
      webHost: WEB,
      filesHost: FILES,
      // The wizard leaves certificate checks at the SDK's default: on.
      verifyCertificate: null,
      source: 'clearml.conf',
    });
  });
});

// ------------------------------------------------------------------ ClearML's pyhocon against ours

/** What the app takes from a clearml.conf, or that the text was refused as a whole. */
type Reading =
  | {
      apiHost: string | null;
      webHost: string | null;
      filesHost: string | null;
      accessKey: string | null;
      secretKey: string | null;
    }
  | 'refused';

// Parses the file the way the SDK loads clearml.conf (ConfigFactory.parse_file: includes resolve next to the file,
// substitutions against the document, then os.environ) and prints the raw values of the keys the app reads.
// Only pyparsing's and pyhocon's own errors count as refusing the text: anything else (an import error, a bug in
// this script) must fail the test, not pass for a refusal.
const PYHOCON = String.raw`
import json, sys
from pyparsing import ParseBaseException
from clearml.utilities.pyhocon import ConfigFactory
from clearml.utilities.pyhocon.exceptions import ConfigException
try:
    conf = ConfigFactory.parse_file(sys.argv[1])
except (ParseBaseException, ConfigException) as e:
    print(json.dumps({"refused": type(e).__name__ + ": " + str(e)[:300]}))
    sys.exit(0)
def value(key):
    v = conf.get(key, None)
    if v is None or isinstance(v, str):
        return v
    # HOCON scalars as written: the app reads every value as text.
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return {"not a scalar": type(v).__name__}
keys = ["api.api_server", "api.host", "api.web_server", "api.files_server",
        "api.credentials.access_key", "api.credentials.secret_key"]
print(json.dumps({k: value(k) for k in keys}))
`;

let caseNo = 0;

async function pyhoconReads(text: string, env: Record<string, string>, extraFiles: Record<string, string>) {
  const caseDir = mkdtempSync(path.join(dir, `case-${++caseNo}-`));
  for (const [name, body] of Object.entries(extraFiles)) writeFileSync(path.join(caseDir, name), body);
  const file = path.join(caseDir, 'clearml.conf');
  writeFileSync(file, text);
  const { stdout } = await run(path.join(venvBin(), 'python'), ['-c', PYHOCON, file], {
    env: childEnv(env),
    cwd: caseDir,
  });
  // pyhocon prints a note for an include it cannot read; the JSON is the last line.
  const last = stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as { refused: string } | Record<string, string | null | { 'not a scalar': string }>;
}

/** pyhocon's raw values, taken the way the SDK takes them: api_server else the legacy host, trailing `/` dropped. */
async function pyhoconReading(
  text: string,
  env: Record<string, string>,
  extraFiles: Record<string, string>,
): Promise<Reading> {
  const raw = await pyhoconReads(text, env, extraFiles);
  if ('refused' in raw) return 'refused';
  const str = (k: string) => {
    const v = raw[k];
    if (v !== null && typeof v !== 'string') throw new Error(`pyhocon read ${k} as ${JSON.stringify(v)}`);
    const t = v?.trim();
    return t ? t : null;
  };
  const host = (v: string | null) => (v ? v.replace(/\/+$/, '') : null);
  const accessKey = str('api.credentials.access_key');
  const secretKey = str('api.credentials.secret_key');
  const pair = accessKey && secretKey;
  return {
    apiHost: host(str('api.api_server') ?? str('api.host')),
    webHost: host(str('api.web_server')),
    filesHost: host(str('api.files_server')),
    accessKey: pair ? accessKey : null,
    secretKey: pair ? secretKey : null,
  };
}

function ourReading(text: string, env: Record<string, string>): Reading {
  try {
    const r = readClearmlConf(text, env);
    return {
      apiHost: r.apiHost,
      webHost: r.webHost,
      filesHost: r.filesHost,
      accessKey: r.credentials?.accessKey ?? null,
      secretKey: r.credentials?.secretKey ?? null,
    };
  } catch (err) {
    if (err instanceof HoconError) return 'refused';
    throw err;
  }
}

const none = { apiHost: null, webHost: null, filesHost: null, accessKey: null, secretKey: null };

interface Case {
  name: string;
  text: () => string;
  /** What both must read (checked against pyhocon first, so a case cannot pass with both reading nothing). */
  expected: Reading;
  /** The environment both see: pyhocon's process environment, our `env` argument. */
  env?: Record<string, string>;
  /** Files next to clearml.conf (for include). */
  files?: Record<string, string>;
  /** Where we deliberately read differently from pyhocon: what we read instead. */
  ours?: Reading;
}

const AGENT_CONF = path.join(
  path.dirname(venvBin()),
  'lib/python3.11/site-packages/clearml_agent/backend_api/config/default/agent.conf',
);

const fromWizard = (): Reading => ({
  apiHost: wizard!.api,
  webHost: WEB,
  filesHost: FILES,
  accessKey: KEYS.accessKey,
  secretKey: KEYS.secretKey,
});

const CASES: Case[] = [
  {
    name: 'the file clearml-init just wrote',
    text: wizardConf,
    get expected() {
      return fromWizard();
    },
  },
  {
    // `clearml-agent init` writes the api section, then `agent ` followed by its default agent.conf (which opens with
    // its own brace), then the sdk section: hundreds of lines of lists, comments and quoted paths around the keys.
    name: "that file with clearml-agent's default agent section appended",
    text: () => `${wizardConf()}\nagent ${readFileSync(AGENT_CONF, 'utf8')}\n`,
    get expected() {
      return fromWizard();
    },
  },
  {
    name: "the web app's clipboard block: credentials on separate lines, quoted keys, `=`",
    text: () => `api {
  web_server: https://app.clear.ml/
  api_server: https://api.clear.ml
  files_server: https://files.clear.ml
  credentials {
    "access_key" = "WEBAPPAK0001"
    "secret_key" = "web+app/secret=key"
  }
}
`,
    expected: {
      apiHost: 'https://api.clear.ml',
      webHost: 'https://app.clear.ml',
      filesHost: 'https://files.clear.ml',
      accessKey: 'WEBAPPAK0001',
      secretKey: 'web+app/secret=key',
    },
  },
  {
    name: 'credentials with unquoted keys, `=` and `:` mixed, unquoted and quoted values',
    text: () => `api {
    api_server = "http://10.1.2.3:8008"
    credentials {
        access_key = UNQUOTEDAK42
        secret_key: "quoted-secret"
    }
}
`,
    expected: { ...none, apiHost: 'http://10.1.2.3:8008', accessKey: 'UNQUOTEDAK42', secretKey: 'quoted-secret' },
  },
  {
    name: 'dotted keys at top level',
    text: () => `api.api_server: "http://dotted:8008"
api.web_server = "http://dotted:8080"
api.credentials.access_key: "DOTTEDAK"
api.credentials.secret_key: DOTTEDSK
sdk.development.default_output_uri: ""
`,
    expected: {
      ...none,
      apiHost: 'http://dotted:8008',
      webHost: 'http://dotted:8080',
      accessKey: 'DOTTEDAK',
      secretKey: 'DOTTEDSK',
    },
  },
  {
    name: 'the legacy api.host instead of api_server',
    text: () => `api {\n  host: http://legacy:8008\n  credentials { access_key: "LAK", secret_key: "LSK" }\n}\n`,
    expected: { ...none, apiHost: 'http://legacy:8008', accessKey: 'LAK', secretKey: 'LSK' },
  },
  {
    name: 'two api blocks merged, the later one overriding',
    text: () => `api {
    api_server: http://first:8008
    web_server: http://first:8080
    credentials {"access_key": "FIRSTAK", "secret_key": "FIRSTSK"}
}
sdk { }
api {
    api_server: http://second:8008
    credentials { secret_key: "SECONDSK" }
}
`,
    expected: {
      ...none,
      apiHost: 'http://second:8008',
      webHost: 'http://first:8080',
      accessKey: 'FIRSTAK',
      secretKey: 'SECONDSK',
    },
  },
  {
    name: '${?VAR} with the variable set',
    env: { CONF_TEST_API: 'http://from-env:8008', CONF_TEST_AK: 'ENVAK' },
    text: () => `api {
    api_server: \${?CONF_TEST_API}
    credentials { access_key: \${?CONF_TEST_AK}, secret_key: "SK" }
}
`,
    expected: { ...none, apiHost: 'http://from-env:8008', accessKey: 'ENVAK', secretKey: 'SK' },
  },
  {
    name: '${?VAR} with the variable unset',
    text: () => `api {
    api_server: \${?CONF_TEST_API}
    credentials { access_key: \${?CONF_TEST_AK}, secret_key: "SK" }
}
`,
    expected: none,
  },
  {
    name: 'a default overridden by ${?VAR}, the variable set',
    env: { CONF_TEST_API: 'http://from-env:8008' },
    text: () => `api {\n    api_server: "http://default:8008"\n    api_server: \${?CONF_TEST_API}\n}\n`,
    expected: { ...none, apiHost: 'http://from-env:8008' },
  },
  {
    name: 'a default overridden by ${?VAR}, the variable unset',
    text: () => `api {\n    api_server: "http://default:8008"\n    api_server: \${?CONF_TEST_API}\n}\n`,
    expected: { ...none, apiHost: 'http://default:8008' },
  },
  {
    name: 'a substitution inside quotes is text',
    env: { CONF_TEST_AK: 'ENVAK' },
    text: () => `api {\n    credentials { access_key: "\${?CONF_TEST_AK}", secret_key: "SK" }\n}\n`,
    expected: { ...none, accessKey: '${?CONF_TEST_AK}', secretKey: 'SK' },
  },
  {
    name: 'substitutions in concatenations, from the document and the environment',
    env: { CONF_TEST_HOST: 'clearml.lan' },
    text: () => `api {
    api_server: "http://"\${CONF_TEST_HOST}":8008"
    web_server: "http://"\${CONF_TEST_HOST}":8080"
    files_server: \${api.web_server}"/files"\${?CONF_TEST_FILES_SUFFIX}
    credentials { access_key: "AK", secret_key: "SK" }
}
`,
    expected: {
      apiHost: 'http://clearml.lan:8008',
      webHost: 'http://clearml.lan:8080',
      filesHost: 'http://clearml.lan:8080/files',
      accessKey: 'AK',
      secretKey: 'SK',
    },
  },
  {
    // A team's shared file keeps its servers under keys with dots and points the api section at them.
    name: 'substitution paths with quoted segments and separators other than a dot',
    text: () => `servers { "eu.prod": "http://eu:8008", eu { prod: "http://not-this:8008" }, web: "http://eu:8080" }
api {
    api_server: \${servers."eu.prod"}
    web_server: \${servers:web}
    credentials { access_key: \${"servers".web}"-AK", secret_key: "SK" }
}
`,
    expected: {
      ...none,
      apiHost: 'http://eu:8008',
      webHost: 'http://eu:8080',
      accessKey: 'http://eu:8080-AK',
      secretKey: 'SK',
    },
  },
  {
    name: 'two optional substitutions with a space between, one set',
    env: { CONF_TEST_HOST: 'http://spaced:8008' },
    text: () =>
      `api {\n    api_server: \${?CONF_TEST_UNSET} \${?CONF_TEST_HOST}\n    web_server: \${?CONF_TEST_HOST} \${?CONF_TEST_UNSET}\n}\n`,
    expected: { ...none, apiHost: 'http://spaced:8008', webHost: 'http://spaced:8008' },
  },
  {
    name: 'malformed: a required ${VAR} that is not set',
    text: () =>
      `api {\n    api_server: http://x:8008\n    credentials { access_key: AK, secret_key: \${CONF_TEST_SK} }\n}\n`,
    expected: 'refused',
  },
  {
    name: 'comments with # and //, on their own lines and after values',
    text: () => `# ClearML SDK configuration file
// written by hand
api {
    # the api server, not the web server
    api_server: http://commented:8008 # trailing hash comment
    web_server: "http://commented:8080" // trailing slash comment
    files_server: http://commented:8081  // after spaces
    // credentials below
    credentials {
        access_key: "CAK" # key
        secret_key: CSK // secret
    }
}
`,
    expected: {
      apiHost: 'http://commented:8008',
      webHost: 'http://commented:8080',
      filesHost: 'http://commented:8081',
      accessKey: 'CAK',
      secretKey: 'CSK',
    },
  },
  {
    name: 'triple-quoted strings',
    text: () => `api {
    api_server: """http://triple:8008"""
    credentials {
        access_key: """TRIPLEAK"""
        secret_key: """se"cr"et"""
    }
}
sdk.development.notes: """line one
line "two"
"""
`,
    expected: { ...none, apiHost: 'http://triple:8008', accessKey: 'TRIPLEAK', secretKey: 'se"cr"et' },
  },
  {
    name: 'trailing commas',
    text: () => `api {
    api_server: "http://commas:8008",
    web_server: "http://commas:8080",
    credentials { access_key: "COMMAAK", secret_key: "COMMASK", },
}
sdk { storage { direct_access: [ { url: "file://*" }, ], }, }
`,
    expected: {
      ...none,
      apiHost: 'http://commas:8008',
      webHost: 'http://commas:8080',
      accessKey: 'COMMAAK',
      secretKey: 'COMMASK',
    },
  },
  {
    name: 'unquoted URLs containing `:` and `//`',
    text: () => `api {
    api_server: https://clearml.corp.example:443//api
    web_server: "http://[::1]:8080"
    files_server: s3://my-bucket/clearml//artifacts
    credentials {access_key: AK, secret_key: "SK"}
}
`,
    expected: {
      apiHost: 'https://clearml.corp.example:443//api',
      webHost: 'http://[::1]:8080',
      filesHost: 's3://my-bucket/clearml//artifacts',
      accessKey: 'AK',
      secretKey: 'SK',
    },
  },
  {
    // `[` opens a list in HOCON, so an IPv6 literal must be quoted.
    name: 'malformed: an unquoted IPv6 URL',
    text: () => `api {\n    api_server: http://[::1]:8008\n}\n`,
    expected: 'refused',
  },
  {
    name: 'values with a trailing /',
    text: () => `api {
    api_server: https://api.clear.ml/
    web_server: "https://app.clear.ml/"
    files_server: https://files.clear.ml//
}
`,
    expected: {
      ...none,
      apiHost: 'https://api.clear.ml',
      webHost: 'https://app.clear.ml',
      filesHost: 'https://files.clear.ml',
    },
  },
  {
    name: 'malformed: the closing brace of api is missing',
    text: () => `api {
    api_server: http://broken:8008
    credentials {"access_key": "AK", "secret_key": "SK"}
sdk {
}
`,
    expected: 'refused',
  },
  {
    name: 'malformed: an unbalanced quote',
    text: () => `api {
    api_server: "http://broken:8008
    credentials {"access_key": "AK", "secret_key": "SK"}
}
`,
    expected: 'refused',
  },
  {
    name: 'malformed: a stray closing brace',
    text: () => `api {\n    api_server: http://broken:8008\n}\n}\n`,
    expected: 'refused',
  },
  {
    name: 'include of a file that does not exist',
    text: () => `include "nowhere.conf"\napi { credentials { access_key: "AK", secret_key: "SK" } }\n`,
    expected: { ...none, accessKey: 'AK', secretKey: 'SK' },
  },
  {
    // Deliberate: we never follow includes (the app reads the one file it names in its messages), so keys kept in an
    // included file are not found, and the app says the include was not read, rather than reading other files.
    name: 'include of a file next to it holding the credentials',
    files: { 'secrets.conf': 'api.credentials { access_key: "INCAK", secret_key: "INCSK" }\n' },
    text: () => `include "secrets.conf"\napi { api_server: "http://inc:8008" }\n`,
    expected: { ...none, apiHost: 'http://inc:8008', accessKey: 'INCAK', secretKey: 'INCSK' },
    ours: { ...none, apiHost: 'http://inc:8008' },
  },
  {
    // A blanked-out value on the last line of its block is empty for the SDK, and must not cost the whole file.
    name: 'a key with nothing after its `:` at the end of its block',
    text: () => `api {
    api_server: http://blank:8008
    credentials {"access_key": "BAK", "secret_key": "BSK"}
    files_server:
}
`,
    expected: { ...none, apiHost: 'http://blank:8008', accessKey: 'BAK', secretKey: 'BSK' },
  },
  {
    // pyhocon lets a key with no value take the next line as its value, so the files server becomes the text
    // `web_server: http://…` and the web server goes unset. We read it the same way, so the app and the SDK agree
    // on which servers the file names (none of them the web server).
    name: 'a key with nothing after its `:` before another key',
    text: () => `api {
    api_server: http://empty:8008
    files_server:
    web_server: http://empty:8080
    credentials {"access_key": "EAK", "secret_key": "ESK"}
}
`,
    expected: {
      apiHost: 'http://empty:8008',
      webHost: null,
      filesHost: 'web_server: http://empty:8080',
      accessKey: 'EAK',
      secretKey: 'ESK',
    },
  },
];

describe("ClearML's pyhocon and our parser read clearml.conf alike", () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const text = c.text();
    const env = c.env ?? {};
    expect(await pyhoconReading(text, env, c.files ?? {}), 'pyhocon').toEqual(c.expected);
    expect(ourReading(text, env), 'ours').toEqual(c.ours ?? c.expected);
  });
});

// ------------------------------------------------------------------ the web app's address

// The SDK's own derivation, with the api_server given and no web_server: what `clearml` prints as a task's link.
const SDK_WEB_HOST = String.raw`
import json, sys
from clearml.backend_api.session import Session
from clearml.utilities.pyhocon import ConfigFactory
out = {}
for api in json.loads(sys.argv[1]):
    conf = ConfigFactory.from_dict({"api": {"api_server": api}})
    try:
        out[api] = Session.get_app_server_host(conf)
    except ValueError:
        out[api] = None
print(json.dumps(out))
`;

describe("the web app's address, derived from the API host as ClearML's SDK derives it", () => {
  it('agrees with Session.get_app_server_host on every layout', async () => {
    const apiHosts = [
      'https://api.clear.ml',
      'https://api.corp.example',
      'https://api.corp.example:8443/clearml/',
      'http://clearml.local:8008',
      'http://10.0.0.5:8008/',
      'https://api.corp.example:8008',
      'https://demoapi.demo.clear.ml',
      'https://clearml-api.corp.example',
      'http://localhost:8080',
    ];
    const { stdout } = await run(path.join(venvBin(), 'python'), ['-c', SDK_WEB_HOST, JSON.stringify(apiHosts)], {
      env: childEnv(),
      cwd: dir,
    });
    const sdk = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, string | null>;
    // The SDK's answers are what this test compares against, so check they are answers at all.
    expect(sdk['https://api.corp.example']).toBe('https://app.corp.example');
    expect(sdk['https://clearml-api.corp.example']).toBeNull();
    expect(Object.fromEntries(apiHosts.map((h) => [h, webHostFromApiHost(h)]))).toEqual(sdk);
  });
});

// ------------------------------------------------------------------ certificate checks

// The SDK's own HTTP session for a clearml.conf text and environment: `session.verify` is what it checks against
// (True, False, or the path of a CA bundle).
const SDK_VERIFY = String.raw`
import json, os, sys
from clearml.backend_api.utils import get_http_session_with_retry
from clearml.utilities.pyhocon import ConfigFactory
out = []
for case in json.loads(sys.argv[1]):
    for k in ("CLEARML_API_HOST_VERIFY_CERT", "TRAINS_API_HOST_VERIFY_CERT"):
        os.environ.pop(k, None)
    os.environ.update(case["env"])
    out.append(get_http_session_with_retry(config=ConfigFactory.parse_string(case["text"])).verify)
print(json.dumps(out))
`;

describe("certificate checks, read as ClearML's SDK reads them", () => {
  it('api.verify_certificate and CLEARML_API_HOST_VERIFY_CERT agree with the SDK session', async () => {
    const conf = (v: string) => `api { api_server: "https://clearml.corp.example"\n  verify_certificate: ${v} }`;
    const cases: { text: string; env: Record<string, string> }[] = [
      { text: 'api { api_server: "https://clearml.corp.example" }', env: {} },
      { text: conf('True'), env: {} },
      { text: conf('false'), env: {} },
      { text: conf('"/etc/ssl/corp-ca.pem"'), env: {} },
      { text: conf('/etc/ssl/corp-ca.pem'), env: {} },
      { text: conf('True'), env: { CLEARML_API_HOST_VERIFY_CERT: 'no' } },
      { text: conf('false'), env: { CLEARML_API_HOST_VERIFY_CERT: 'on' } },
      { text: conf('True'), env: { CLEARML_API_HOST_VERIFY_CERT: '/opt/ca.pem' } },
    ];
    const { stdout } = await run(path.join(venvBin(), 'python'), ['-c', SDK_VERIFY, JSON.stringify(cases)], {
      env: childEnv(),
      cwd: dir,
    });
    const sdk = JSON.parse(stdout.trim().split('\n').pop()!) as (boolean | string)[];
    // The SDK's answers are the reference, so check they are answers at all.
    expect(sdk).toContain(false);
    expect(sdk).toContain('/opt/ca.pem');
    const ours = cases.map(({ text, env }) => {
      const file = path.join(dir, `verify-${Math.random().toString(36).slice(2)}.conf`);
      writeFileSync(file, text);
      const v = resolveClearmlCredentials({ stored: null, env, clearmlConfPath: file }).verifyCertificate;
      return v === null ? true : v.value === 'off' ? false : v.value.caFile;
    });
    expect(ours).toEqual(sdk);
  });
});
