// A ClearML server and an EC2 endpoint whose certificates a company CA signed (a self-hosted server; a proxy that
// inspects TLS): without that CA the calls fail with a message that says what to do; with REQUESTS_CA_BUNDLE naming
// it (as for ClearML's own tools) they succeed. Each endpoint is a real HTTPS server in front of an emulator.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClearmlClient } from '../../electron/engine/clearml/client.js';
import { fixPlace, renderProblem, problemFrom } from '../../electron/engine/connections.js';
import { emulatorEc2 } from '../fixtures/index.js';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/emulators/clearml-emulator.js';
import { startEc2Emulator, type Ec2Emulator } from '../../electron/engine/emulators/ec2-emulator.js';
import { useCaBundlesFromEnv } from '../../electron/engine/net/trust.js';
import { useNetworkFromEnv } from '../../electron/engine/net/network.js';
import { systemClock } from '../../electron/engine/ports.js';
import { testClearml } from '../../electron/engine/service/testers.js';
import { KEYS } from '../engine/world.js';

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    pub: forge.pki.publicKeyFromPem(publicKey),
    priv: forge.pki.privateKeyFromPem(privateKey),
    pem: privateKey,
  };
}

function certificate(o: {
  subject: string;
  pub: forge.pki.PublicKey;
  issuer: string;
  signWith: forge.pki.rsa.PrivateKey;
  ca: boolean;
}): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = o.pub;
  cert.serialNumber = `0${randomBytes(16).toString('hex').slice(1)}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: o.subject }]);
  cert.setIssuer([{ name: 'commonName', value: o.issuer }]);
  cert.setExtensions(
    o.ca
      ? [
          { name: 'basicConstraints', cA: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true },
        ]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
        ],
  );
  cert.sign(o.signWith, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** An HTTPS server with the given certificate, passing every request on to an emulator. */
async function httpsFront(target: string, cert: string, key: string): Promise<{ url: string; close(): void }> {
  const to = new URL(target);
  const server = https.createServer({ cert, key }, (req, res) => {
    const up = http.request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

let clearml: ClearmlEmulator;
let ec2: Ec2Emulator;
let fronts: { clearml: { url: string; close(): void }; ec2: { url: string; close(): void } };
let caFile: string;
let leafPem: string;
let leafKey: string;

beforeAll(async () => {
  const ca = keyPair();
  const caPem = certificate({
    subject: 'Example Corp CA',
    pub: ca.pub,
    issuer: 'Example Corp CA',
    signWith: ca.priv,
    ca: true,
  });
  const leaf = keyPair();
  leafPem = certificate({
    subject: '127.0.0.1',
    pub: leaf.pub,
    issuer: 'Example Corp CA',
    signWith: ca.priv,
    ca: false,
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'company-ca-'));
  caFile = path.join(dir, 'company-ca.pem');
  writeFileSync(caFile, `# the company's root\n${caPem}`);
  leafKey = leaf.pem;
  clearml = await startClearmlEmulator({ clock: systemClock, ...KEYS });
  ec2 = await startEc2Emulator({ clock: systemClock });
  fronts = {
    clearml: await httpsFront(clearml.url, leafPem, leaf.pem),
    ec2: await httpsFront(ec2.url, leafPem, leaf.pem),
  };
});
afterAll(async () => {
  fronts.clearml.close();
  fronts.ec2.close();
  await clearml.close();
  await ec2.close();
});

const provider = (endpoint = fronts.ec2.url) => emulatorEc2(endpoint);

describe('a company CA', () => {
  // Runs first: nothing added yet.
  it('not trusted: each side says so and what to set, in the app and on the command line', async () => {
    const client = createClearmlClient({ apiHost: fronts.clearml.url, credentials: KEYS, clock: systemClock });
    const err = await client.checkAuth().then(
      () => null,
      (e: unknown) => e,
    );
    expect(String((err as Error).message)).toMatch(
      /^The ClearML server at https:\/\/127\.0\.0\.1:\d+ is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): its certificate is signed by an authority this machine does not trust .*REQUESTS_CA_BUNDLE or NODE_EXTRA_CA_CERTS/,
    );
    const cli = renderProblem(problemFrom('clearml', err, fronts.clearml.url), 'cli', { retrying: true });
    expect(cli).toMatch(
      /\(The ClearML server at .* is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)\): put that authority's certificate .* REQUESTS_CA_BUNDLE/,
    );
    expect(cli).not.toContain('clearml.apiHost');
    const test = await testClearml({ apiHost: fronts.clearml.url, credentials: KEYS });
    expect(test.message).toMatch(/is not trusted .*REQUESTS_CA_BUNDLE/);
    expect(test.message).not.toMatch(/Check the API host/);

    const ec2err = await provider()
      .describeInstances('dynamic_aws')
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(String((ec2err as Error).message)).toMatch(
      /^The EC2 API in us-east-1 is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): its certificate is signed by .*REQUESTS_CA_BUNDLE/,
    );
    // The code travels as a field of the real errors, and no button in the app is offered for it.
    for (const [service, e, url] of [
      ['clearml', err, fronts.clearml.url],
      ['ec2', ec2err, fronts.ec2.url],
    ] as const) {
      const problem = problemFrom(service, e, url);
      expect(problem.networkCode).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      expect(fixPlace(problem)).toBeNull();
      expect(renderProblem(problem, 'cli', { retrying: false })).toMatch(/REQUESTS_CA_BUNDLE/);
    }
  });

  it('named by REQUESTS_CA_BUNDLE: ClearML and EC2 answer; a bundle that cannot be used is said, not dropped', async () => {
    const bad = useCaBundlesFromEnv(
      { SSL_CERT_FILE: path.join(path.dirname(caFile), 'missing.pem') },
      { system: false },
    );
    expect(bad.problems).toEqual([
      expect.stringMatching(/^SSL_CERT_FILE names .*missing\.pem, which was not used: it does not exist\.$/),
    ]);
    expect(bad.description).toBeNull();
    // boto3's variable (ClearML's autoscaler talks to EC2 through boto3) counts too.
    const aws = useCaBundlesFromEnv({ AWS_CA_BUNDLE: caFile }, { system: false });
    expect(aws.description).toBe(`also trusting the CAs in AWS_CA_BUNDLE (${caFile}, 1 certificate)`);
    aws.restore();
    // A distribution sets every variable to its one bundle: said (and read) once, with each name.
    const all = useCaBundlesFromEnv(
      { REQUESTS_CA_BUNDLE: caFile, CURL_CA_BUNDLE: caFile, SSL_CERT_FILE: caFile, AWS_CA_BUNDLE: caFile },
      { system: false },
    );
    try {
      expect(all.description).toBe(
        `also trusting the CAs in REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE and AWS_CA_BUNDLE (${caFile}, 1 certificate)`,
      );
    } finally {
      all.restore();
    }
    const use = useCaBundlesFromEnv({ REQUESTS_CA_BUNDLE: caFile });
    try {
      expect(use.description).toBe(`also trusting the CAs in REQUESTS_CA_BUNDLE (${caFile}, 1 certificate)`);
      expect(use.problems).toEqual([]);
      const client = createClearmlClient({ apiHost: fronts.clearml.url, credentials: KEYS, clock: systemClock });
      expect((await client.checkAuth()).user).toBeTruthy();
      expect(await provider().describeInstances('dynamic_aws')).toEqual([]);
    } finally {
      use.restore();
    }
  });
});

describe('a company CA named in clearml.conf (api.verify_certificate), as the ClearML SDK takes it', () => {
  const home = () => mkdtempSync(path.join(tmpdir(), 'verify-home-'));
  it('a path there is trusted; "false" there is not followed, and said', async () => {
    const withCa = home();
    writeFileSync(path.join(withCa, 'clearml.conf'), `api { verify_certificate: "${caFile}" }`);
    const use = useNetworkFromEnv({ HOME: withCa });
    try {
      expect(use.notes).toEqual([
        `TLS: also trusting the CAs in api.verify_certificate in ${path.join(withCa, 'clearml.conf')} (${caFile}, 1 certificate)`,
      ]);
      // A new server, so no connection trusted earlier is reused.
      const fresh = await httpsFront(clearml.url, leafPem, leafKey);
      try {
        const client = createClearmlClient({ apiHost: fresh.url, credentials: KEYS, clock: systemClock });
        expect((await client.checkAuth()).user).toBeTruthy();
      } finally {
        fresh.close();
      }
    } finally {
      use.restore();
    }

    const off = home();
    writeFileSync(path.join(off, 'clearml.conf'), 'api { verify_certificate: False }');
    const unsafe = useNetworkFromEnv({ HOME: off });
    try {
      expect(unsafe.problems).toEqual([
        expect.stringMatching(
          /^api\.verify_certificate in .*clearml\.conf turns TLS certificate checks off; this app keeps them on/,
        ),
      ]);
      // A new server, so no connection trusted earlier is reused: still refused.
      const other = await httpsFront(clearml.url, leafPem, leafKey);
      try {
        const client = createClearmlClient({ apiHost: other.url, credentials: KEYS, clock: systemClock });
        await expect(client.checkAuth()).rejects.toThrow(/is not trusted/);
      } finally {
        other.close();
      }
    } finally {
      unsafe.restore();
    }
  });
});

describe('a company CA named in the AWS config file (ca_bundle), as boto3 takes it', () => {
  it("the profile's ca_bundle is trusted for EC2; AWS_CA_BUNDLE in the environment wins over it", async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'aws-home-'));
    mkdirSync(path.join(home, '.aws'));
    const config = path.join(home, '.aws', 'config');
    writeFileSync(config, `[default]\nregion = us-east-1\n\n[profile corp]\nca_bundle = ${caFile}\n`);
    const use = useNetworkFromEnv({ HOME: home, AWS_PROFILE: 'corp' });
    try {
      expect(use.notes).toEqual([
        `TLS: also trusting the CAs in ca_bundle in ${config} (profile corp) (${caFile}, 1 certificate)`,
      ]);
      // A new server, so no connection trusted earlier is reused.
      const fresh = await httpsFront(ec2.url, leafPem, leafKey);
      try {
        expect(await provider(fresh.url).describeInstances('dynamic_aws')).toEqual([]);
      } finally {
        fresh.close();
      }
    } finally {
      use.restore();
    }
    // The default profile names none: nothing added, and EC2 behind the company CA is refused.
    const plain = useNetworkFromEnv({ HOME: home });
    try {
      expect(plain.notes).toEqual([]);
      const other = await httpsFront(ec2.url, leafPem, leafKey);
      try {
        await expect(provider(other.url).describeInstances('dynamic_aws')).rejects.toThrow(/is not trusted/);
      } finally {
        other.close();
      }
    } finally {
      plain.restore();
    }
    // A file boto3 would refuse is said, not used.
    const broken = mkdtempSync(path.join(tmpdir(), 'aws-home-'));
    writeFileSync(path.join(broken, 'aws-config'), `ca_bundle = ${caFile}\n[default]\n`);
    const refused = useNetworkFromEnv({ HOME: broken, AWS_CONFIG_FILE: path.join(broken, 'aws-config') });
    refused.restore();
    expect(refused.notes).toEqual([]);
    expect(refused.problems).toEqual([
      `${path.join(broken, 'aws-config')} has text before its first [section] (line 1), so its ca_bundle is not ` +
        'used (boto3 refuses it too).',
    ]);
    const env = useNetworkFromEnv({ HOME: home, AWS_PROFILE: 'corp', AWS_CA_BUNDLE: caFile });
    try {
      expect(env.notes).toEqual([`TLS: also trusting the CAs in AWS_CA_BUNDLE (${caFile}, 1 certificate)`]);
    } finally {
      env.restore();
    }
  });
});
