/**
 * A fake EC2 instance metadata service (IMDSv2) on 127.0.0.1: `PUT /latest/api/token` with a TTL header issues a
 * token; every GET must carry a valid `X-aws-ec2-metadata-token` or gets 401, as the real service does when
 * tokens are required. Serves instance-id, instance tags (when metadata tags are enabled) and the spot notice.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeImdsRequest {
  method: string;
  path: string;
  /** A valid token accompanied the request. */
  authorised: boolean;
}

export interface FakeImds {
  url: string;
  instanceId: string;
  /** Instance tags visible through metadata; keys absent here answer 404. */
  tags: Map<string, string>;
  /** InstanceMetadataTags disabled: every tags path answers 404. */
  tagsEnabled: boolean;
  /** Body of spot/instance-action, or null for "no notice" (404). */
  spotAction: string | null;
  /** Answer 500 to everything (a broken metadata service). */
  failing: boolean;
  /** Answer the token PUT with this status instead (403: metadata endpoint disabled for the instance). */
  tokenStatus: number | null;
  requests: FakeImdsRequest[];
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeImds(instanceId = 'i-0123456789abcdef0'): Promise<FakeImds> {
  const tokens = new Set<string>();
  const state = {
    instanceId,
    tags: new Map<string, string>(),
    tagsEnabled: true,
    spotAction: null as string | null,
    failing: false,
    tokenStatus: null as number | null,
    requests: [] as FakeImdsRequest[],
  };

  const send = (res: ServerResponse, status: number, body = '') => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const token = req.headers['x-aws-ec2-metadata-token'];
    const authorised = typeof token === 'string' && tokens.has(token);
    state.requests.push({ method: req.method ?? '', path, authorised });
    if (state.failing) return send(res, 500, 'internal error');

    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') return send(res, 405);
      if (state.tokenStatus !== null) return send(res, state.tokenStatus);
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return send(res, 400);
      const issued = randomBytes(24).toString('base64');
      tokens.add(issued);
      return send(res, 200, issued);
    }
    if (req.method !== 'GET') return send(res, 405);
    if (!authorised) return send(res, 401);

    const tagPrefix = '/latest/meta-data/tags/instance';
    if (path === '/latest/meta-data/instance-id') return send(res, 200, state.instanceId);
    if (path === '/latest/meta-data/spot/instance-action') {
      return state.spotAction === null ? send(res, 404) : send(res, 200, state.spotAction);
    }
    if (path === tagPrefix || path === `${tagPrefix}/`) {
      return state.tagsEnabled ? send(res, 200, [...state.tags.keys()].join('\n')) : send(res, 404);
    }
    if (path.startsWith(`${tagPrefix}/`)) {
      const key = decodeURIComponent(path.slice(tagPrefix.length + 1));
      const value = state.tagsEnabled ? state.tags.get(key) : undefined;
      return value === undefined ? send(res, 404) : send(res, 200, value);
    }
    return send(res, 404);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    reset() {
      state.tags.clear();
      state.tagsEnabled = true;
      state.spotAction = null;
      state.failing = false;
      state.tokenStatus = null;
      state.requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  });
}

/** A loopback URL nothing listens on (connection refused): metadata service unreachable. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
