/** axe-core in the page under test: the WCAG 2.1 A/AA rules and axe's best practices, every impact. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface Finding {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/**
 * Every finding of the WCAG 2.1 A/AA rules and axe's best-practice rules on the page as it is now, whatever its
 * impact: a moderate or minor finding (a heading skipping a level, a role an element may not take) is as real to
 * the person it trips up, and the dashboard has none.
 */
export async function audit(page: Page): Promise<Finding[]> {
  // Evaluated over the DevTools protocol, which the page's CSP does not govern (a script tag would be refused).
  await page.evaluate(axeSource);
  const results = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Finding[] }> } }
    ).axe;
    return axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
  });
  return results.violations.map((v) => ({
    ...v,
    nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
  }));
}

/**
 * The landmark rules (best practice in axe, so outside `audit`'s WCAG tags), whatever their impact: one main
 * landmark, every piece of content inside a landmark, and no role that overrides a landmark element's own.
 */
export async function auditLandmarks(page: Page): Promise<Finding[]> {
  await page.evaluate(axeSource);
  const results = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Finding[] }> } }
    ).axe;
    return axe.run(document, {
      runOnly: {
        type: 'rule',
        values: ['landmark-one-main', 'region', 'aria-allowed-role', 'landmark-no-duplicate-main', 'landmark-unique'],
      },
    });
  });
  return results.violations.map((v) => ({
    ...v,
    nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
  }));
}

export function describeFindings(where: string, findings: Finding[]): string {
  return findings
    .map(
      (f) =>
        `${where}: ${f.id} (${f.impact}) ${f.help}\n${f.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n')}`,
    )
    .join('\n');
}
