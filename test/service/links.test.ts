import { describe, expect, it } from 'vitest';
import { isAllowedLink } from '../../electron/engine/service/links.js';
import { ConfigSchema } from '../../shared/config.js';

const config = (clearml: Record<string, string>) =>
  ConfigSchema.parse({
    clearml,
    aws: { region: 'us-east-1' },
    resources: { cpu: { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0' } },
    queues: { q: [{ resource: 'cpu', maxInstances: 1 }] },
  });

describe('isAllowedLink: the dashboard opens its own task links', () => {
  it.each([
    // Self-hosted with subdomains: the task link goes to app.<domain>, derived from api.<domain>; it must open.
    [{ apiHost: 'https://api.corp.example' }, 'https://app.corp.example/projects/*/experiments/t1/output', true],
    [{ apiHost: 'https://api.corp.example' }, 'https://other.corp.example/', false],
    // A web host named in the config replaces the derived one.
    [
      { apiHost: 'https://api.corp.example', webHost: 'https://web.corp.example' },
      'https://app.corp.example/projects',
      false,
    ],
    [
      { apiHost: 'https://api.corp.example', webHost: 'https://web.corp.example' },
      'https://web.corp.example/projects',
      true,
    ],
    // https only, whatever the host.
    [{ apiHost: 'http://clearml.local:8008' }, 'http://clearml.local:8080/projects', false],
    [{ apiHost: 'https://api.corp.example' }, 'https://console.aws.amazon.com/ec2/home', true],
  ])('%j: %s → %s', (clearml, url, ok) => {
    expect(isAllowedLink(url, config(clearml))).toBe(ok);
  });
});
