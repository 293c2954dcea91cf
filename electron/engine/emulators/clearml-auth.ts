/**
 * The ClearML emulator's credentials: Basic auth with one key pair, and the Bearer tokens `auth.login` issues
 * (HS256 JWTs with `exp`, invalidated all at once by `expire()` or while an interceptor revokes the keys).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../ports.js';
import { WireError, type ClearmlModel } from './clearml-model.js';
import { COMPANY, USER, type Endpoint, type EndpointContext } from './clearml-wire-docs.js';

export class TokenAuth {
  private readonly signingKey = randomBytes(32);
  private generation = 0;

  constructor(
    private readonly o: {
      clock: Clock;
      model: ClearmlModel;
      accessKey: string;
      secretKey: string;
      maxVersion: string;
      serverVersion: string;
      keysRevoked: () => boolean;
    },
  ) {}

  /** Invalidates every issued token (the next Bearer call gets 401/30). */
  expire(): void {
    this.generation++;
  }

  issueToken(expirationSec: number): string {
    const iat = Math.floor(this.o.clock.now() / 1000);
    const header = b64url({ alg: 'HS256', typ: 'JWT' });
    const payload = b64url({
      identity: { user: USER.id, company: COMPANY.id, role: 'user', user_name: USER.name, company_name: COMPANY.name },
      iat,
      exp: iat + expirationSec,
      session_id: this.o.model.newId('session'),
      env: 'emulator',
      api_version: this.o.maxVersion,
      server_version: this.o.serverVersion,
      feature_set: 'basic',
      gen: this.generation,
    });
    const sig = createHmac('sha256', this.signingKey).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${sig}`;
  }

  private verifyToken(token: string): void {
    const [h, p, s] = token.split('.');
    const bad = new WireError(401, 30, 'Invalid token (token is invalid or has expired)');
    if (!h || !p || !s) throw bad;
    const sig = createHmac('sha256', this.signingKey).update(`${h}.${p}`).digest('base64url');
    if (sig !== s) throw bad;
    let claims: { exp?: unknown; gen?: unknown };
    try {
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { exp?: unknown; gen?: unknown };
    } catch {
      throw bad;
    }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= this.o.clock.now()) throw bad;
    if (claims.gen !== this.generation || this.o.keysRevoked()) throw bad;
  }

  authenticate(header: string | undefined): void {
    if (!header) throw new WireError(401, 20, 'Unauthorized (missing credentials)');
    const [scheme, value = ''] = header.trim().split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'bearer') return this.verifyToken(value);
    if (scheme?.toLowerCase() !== 'basic') throw new WireError(401, 10, 'Unauthorized (bad authentication type)');
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new WireError(401, 21, 'Unauthorized (malformed credentials)');
    const ok =
      decoded.slice(0, colon) === this.o.accessKey &&
      decoded.slice(colon + 1) === this.o.secretKey &&
      !this.o.keysRevoked();
    if (!ok) throw new WireError(401, 22, 'Unauthorized (invalid credentials) (failed to locate provided credentials)');
  }
}

function b64url(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

/** `auth` issues the tokens `auth.login` answers with (the only endpoints that need it). */
export function authEndpoints(c: EndpointContext & { auth: TokenAuth }): Record<string, Endpoint> {
  return {
    'auth.login': {
      min: '2.1',
      auth: true,
      handle: ({ body }) => {
        const requested = typeof body['expiration_sec'] === 'number' ? body['expiration_sec'] : c.tokenLifetimeSec;
        return { token: c.auth.issueToken(Math.min(Math.max(1, requested), 31_536_000)) };
      },
    },
    'debug.ping': { min: '1.0', auth: false, handle: () => ({}) },
    'server.info': {
      min: '1.0',
      auth: false,
      handle: () => ({
        version: c.serverVersion,
        build: 'emulator',
        commit: 'emulator',
        uid: 'emulator-server',
        api_version: c.maxVersion,
      }),
    },
    'users.get_current_user': {
      min: '1.5',
      auth: true,
      handle: () => ({
        user: { ...USER, company: COMPANY, role: 'user', given_name: 'ClearML', family_name: 'Emulator' },
        getting_started: null,
        settings: {},
      }),
    },
  };
}
