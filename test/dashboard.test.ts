import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'prom-client';
import '../gateway/metrics';
import { collectProcessMetrics } from '../platform/metrics';
import '../platform/overload';
import { repoRoot } from '../platform/paths';
import '../subgraphs/kit/metrics';
import '../subgraphs/orders/payments/metrics';
import '../subgraphs/orders/payments/reconcile';

interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
}

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(join(repoRoot, 'deploy', 'grafana', 'dashboards', 'atrium.json'), 'utf8')) as Dashboard;

  it('charts only metrics the services export', async () => {
    collectProcessMetrics();
    const exported = new Set((await register.getMetricsAsJSON()).map((metric) => metric.name));
    const charted = dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => target.expr.match(/\b(atrium|process|nodejs)_[a-z0-9_]+/g) ?? []));
    const unknown = charted.map((name) => name.replace(/_(bucket|count|sum)$/, '')).filter((name) => !exported.has(name));
    expect(charted.length).toBeGreaterThan(10);
    expect(unknown).toEqual([]);
  });

  it('covers rate, errors, latency percentiles, subgraphs, backends, breakers and the cache', () => {
    const titles = dashboard.panels.map((panel) => panel.title).join(' | ');
    for (const topic of [
      'Requests per second',
      'Error ratio',
      'p95 / p99',
      'Subgraph',
      'Backend',
      'Circuit breakers',
      'cache hit ratio',
      'Overload',
      'Process CPU',
      'Memory',
      'Stuck payments',
    ])
      expect(titles).toContain(topic);
  });
});
