/** axe-core in the page under test: the WCAG 2.1 A/AA and 2.2 AA rules and axe's best practices, every impact. */
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
 * Every finding of the WCAG 2.1 A/AA rules, the WCAG 2.2 AA ones (target-size: 2.5.8, a control of at least 24 × 24
 * CSS px or enough space around it) and axe's best-practice rules on the page as it is now, whatever its impact: a
 * moderate or minor finding (a heading skipping a level, a role an element may not take) is as real to the person
 * it trips up, and the dashboard has none.
 */
export async function audit(page: Page): Promise<Finding[]> {
  // Evaluated over the DevTools protocol, which the page's CSP does not govern (a script tag would be refused).
  await page.evaluate(axeSource);
  const results = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Finding[] }> } }
    ).axe;
    return axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
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

/**
 * The controls on the page whose own box is under 24 × 24 CSS px, as "tag "name" w×h". Stricter than axe's
 * target-size, which lets a small control pass on the empty space around it: that space goes when a layout gets
 * denser or a narrow window stacks rows, so every control here is big enough by itself. (WCAG's inline exception,
 * a link inside a sentence, has no case: the dashboard has no inline links.)
 */
export async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const controls =
      'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=tab], ' +
      '[role=radio], [role=checkbox], [role=switch], [tabindex]:not([tabindex="-1"])';
    const small = new Set<string>();
    for (const el of Array.from(document.querySelectorAll<HTMLElement>(controls))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not rendered
      if (r.width >= 24 && r.height >= 24) continue;
      const name = (
        el.getAttribute('aria-label') ??
        (el as HTMLInputElement).labels?.[0]?.textContent ??
        el.textContent
      )
        ?.trim()
        .slice(0, 40);
      small.add(`${el.tagName.toLowerCase()} "${name ?? ''}" ${r.width.toFixed(1)}×${r.height.toFixed(1)}`);
    }
    return [...small];
  });
}

export function describeFindings(where: string, findings: Finding[]): string {
  return findings
    .map(
      (f) =>
        `${where}: ${f.id} (${f.impact}) ${f.help}\n${f.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n')}`,
    )
    .join('\n');
}
