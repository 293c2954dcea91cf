/**
 * The team server's certificate: the one the user supplies (--tls-cert/--tls-key), or a self-signed one made on
 * first start and kept in the data folder, so its fingerprint stays the same across restarts and the attached
 * apps that pinned it keep trusting it. Clients pin the SHA-256 fingerprint of the certificate (as SSH pins a
 * host key), so no CA is involved for the generated one.
 */
import { errorText } from '../../../shared/error-text.js';
import { generateKeyPair, randomBytes, X509Certificate as NodeX509 } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { writeFileDurablySync } from '../durable-file.js';

export { normalizeFingerprint } from './fingerprint.js';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA-256 of the certificate (DER), as colon-separated upper-case hex: what clients pin. */
  fingerprint: string;
  /** Where the pair came from, for the start-up line. */
  source: 'supplied' | 'generated' | 'kept';
  certFile: string;
}

export class TlsSetupError extends Error {
  override name = 'TlsSetupError';
}

export function fingerprintOf(certPem: string): string {
  return new NodeX509(certPem).fingerprint256;
}

export function tlsDir(dataDir: string): string {
  return path.join(dataDir, 'team');
}

export async function loadOrCreateTls(opts: {
  dataDir: string;
  certFile?: string;
  keyFile?: string;
  /** Extra names for the generated certificate (the host name is always in it). */
  names?: string[];
}): Promise<TlsMaterial> {
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile || !opts.keyFile)
      throw new TlsSetupError('Give both --tls-cert and --tls-key (a certificate and its private key, PEM).');
    let cert: string;
    let key: string;
    try {
      cert = readFileSync(opts.certFile, 'utf8');
      key = readFileSync(opts.keyFile, 'utf8');
    } catch (e) {
      throw new TlsSetupError(`Cannot read the TLS certificate or key: ${errorText(e)}`);
    }
    try {
      return { cert, key, fingerprint: fingerprintOf(cert), source: 'supplied', certFile: opts.certFile };
    } catch {
      throw new TlsSetupError(`${opts.certFile} is not a PEM certificate.`);
    }
  }
  const dir = tlsDir(opts.dataDir);
  const certFile = path.join(dir, 'server-cert.pem');
  const keyFile = path.join(dir, 'server-key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile, 'utf8');
    return { cert, key: readFileSync(keyFile, 'utf8'), fingerprint: fingerprintOf(cert), source: 'kept', certFile };
  }
  const { cert, key } = await generateSelfSigned(['localhost', hostname(), ...(opts.names ?? [])]);
  // The key first: a crash in between leaves no certificate, so the next start generates both again.
  writeFileDurablySync(keyFile, key, { mode: 0o600, dirMode: 0o700 });
  writeFileDurablySync(certFile, cert, { mode: 0o644, dirMode: 0o700 });
  return { cert, key, fingerprint: fingerprintOf(cert), source: 'generated', certFile };
}

/**
 * An RSA-2048 key (made by Node's own crypto: fast) and a self-signed certificate valid for ten years, built and
 * signed with SHA-256 by node-forge (Node can read certificates but not make them).
 */
export async function generateSelfSigned(names: string[]): Promise<{ cert: string; key: string }> {
  const { privateKey, publicKey } = await new Promise<{ privateKey: string; publicKey: string }>((resolve, reject) =>
    generateKeyPair(
      'rsa',
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      },
      (err, pub, priv) => (err ? reject(err) : resolve({ publicKey: pub, privateKey: priv })),
    ),
  );
  const { pki, md } = forge;
  const cert = pki.createCertificate();
  cert.publicKey = pki.publicKeyFromPem(publicKey);
  // A positive serial: 16 random bytes with the top bit clear.
  cert.serialNumber = `0${randomBytes(16).toString('hex').slice(1)}`;
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + 10 * 365 * 86_400_000);
  const subject = [{ name: 'commonName', value: 'clearml-tray-autoscaler team engine' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const dns = [...new Set(names.filter(Boolean))];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [...dns.map((value) => ({ type: 2, value })), { type: 7, ip: '127.0.0.1' }] },
  ]);
  cert.sign(pki.privateKeyFromPem(privateKey), md.sha256.create());
  return { cert: pki.certificateToPem(cert), key: privateKey };
}
