/**
 * The Prometheus rules and the Grafana dashboard as committed (ADR 0093, 0094):
 * written by scripts/prometheus-rules.ts from scripts/lib/observability/,
 * accepted by `promtool check rules`, every alert unit-tested by
 * `promtool test rules` (firing and quiet cases), and every alert's
 * runbook_url pointing at a heading of docs/runbook.md that exists.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/local-env';
import { alertRunbookAnchors, ruleFiles, RULES_DIR, TESTS_DIR } from '../../scripts/lib/observability/rule-files';
import { ROWS } from '../../scripts/lib/observability/dashboard';
import { requirePrometheus } from './prometheus-server';

const run = promisify(execFile);
const RULE_FILES = ['slo.rules.yml', 'operations.rules.yml'].map((f) => path.join(RULES_DIR, f));
const TEST_FILES = ['slo.test.yml', 'operations.test.yml'].map((f) => path.join(TESTS_DIR, f));
const havePrometheus = requirePrometheus();

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of markdown.split('\n')) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    anchors.add(
      heading[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return anchors;
}

describe('Prometheus rules and Grafana dashboard', () => {
  it('the committed files are what scripts/prometheus-rules.ts writes', () => {
    for (const [file, content] of Object.entries(ruleFiles())) {
      expect(readFileSync(path.join(ROOT, file), 'utf8'), `${file} is stale: run npx tsx scripts/prometheus-rules.ts`).toBe(content);
    }
  });

  it('every alert has a runbook_url whose anchor is a heading of docs/runbook.md', () => {
    const anchors = anchorsOf(readFileSync(path.join(ROOT, 'docs/runbook.md'), 'utf8'));
    const rules = RULE_FILES.map((f) => readFileSync(path.join(ROOT, f), 'utf8')).join('\n');
    const alerts = [...rules.matchAll(/- alert: "([^"]+)"/g)].map((m) => m[1]!);
    const urls = [...rules.matchAll(/runbook_url: "docs\/runbook\.md#([^"]+)"/g)].map((m) => m[1]!);
    expect(alerts.length).toBeGreaterThan(20);
    // One runbook_url per alert, in the same order as the alerts.
    expect(urls).toHaveLength(alerts.length);
    expect(alertRunbookAnchors().map((a) => a.alert)).toEqual(alerts);
    const missing = urls.filter((anchor) => !anchors.has(anchor));
    expect(missing, `runbook headings missing for: ${missing.join(', ')}`).toEqual([]);
  });

  it('the dashboard has the overview rows', () => {
    expect(ROWS.map((r) => r.title)).toEqual(['SLO burn', 'Traffic', 'Errors', 'Latency', 'Dispatch', 'Live tracking', 'Queues', 'Providers']);
    for (const row of ROWS) expect(row.panels.length, row.title).toBeGreaterThan(0);
  });

  it.runIf(havePrometheus)('promtool check rules accepts every rule file', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', ...RULE_FILES], { cwd: ROOT });
    expect(stdout).toMatch(/SUCCESS: 74 rules found/);
    expect(stdout).toMatch(/SUCCESS: 10 rules found/);
  });

  it.runIf(havePrometheus)(
    'promtool test rules: every alert fires on its cases and stays quiet on the others',
    async () => {
      // One promtool per file, side by side: the SLO file evaluates 74 rules a minute over hours of series.
      const results = await Promise.all(
        TEST_FILES.map((file) =>
          run('promtool', ['test', 'rules', file], { cwd: ROOT }).then(
            ({ stdout }) => ({ file, ok: true, out: stdout }),
            (error: { stdout?: string; stderr?: string }) => ({ file, ok: false, out: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
          ),
        ),
      );
      for (const r of results) expect(r.ok, `${r.file}:\n${r.out}`).toBe(true);
    },
    90_000,
  );
});
