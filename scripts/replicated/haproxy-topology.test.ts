import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithHaproxy } from '../../test/support/haproxy';
import { haproxyBinary } from '../process-stack';
import { HAPROXY_POLICY, renderHaproxyTopology, type BalancedService } from './haproxy-topology';

const services: BalancedService[] = [
  {
    name: 'gateway',
    port: 14000,
    replicas: [
      { name: 'gateway', port: 14100 },
      { name: 'gateway-2', port: 14101 },
    ],
  },
  {
    name: 'customers',
    port: 14001,
    replicas: [
      { name: 'customers', port: 14102 },
      { name: 'customers-2', port: 14103 },
    ],
  },
];

describe('the HAProxy topology start:replicated renders', () => {
  const text = renderHaproxyTopology(services);

  it('puts a frontend on each service port and its replicas behind it', () => {
    expect(text).toContain('frontend gateway\n  bind 127.0.0.1:14000\n');
    expect(text).toContain('backend gateway\n  server gateway 127.0.0.1:14100\n  server gateway-2 127.0.0.1:14101\n');
  });

  it('fails open for a subgraph: when no replica is ready, the live ones still answer, checked on /health', () => {
    expect(text).toContain('use_backend customers if { nbsrv(customers) gt 0 }\n  default_backend customers-live\n');
    expect(text).toMatch(
      /backend customers-live\n {2}http-check send meth GET uri \/health\n {2}http-check expect status 200\n {2}server customers 127\.0\.0\.1:14102\n {2}server customers-2 127\.0\.0\.1:14103\n/,
    );
    expect(text).toContain('use_backend gateway if { nbsrv(gateway) gt 0 }\n  default_backend gateway-live\n');
  });
});

describeWithHaproxy('the HAProxy configuration, as HAProxy reads it', () => {
  it('is valid: deploy/haproxy/haproxy.cfg followed by a rendered topology', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atrium-haproxy-'));
    try {
      writeFileSync(join(dir, 'topology.cfg'), renderHaproxyTopology(services));
      const output = execFileSync(haproxyBinary(), ['-c', '-f', HAPROXY_POLICY, '-f', join(dir, 'topology.cfg')], {
        env: { PATH: process.env.PATH, HAPROXY_STATS_ADDRESS: '127.0.0.1:18404' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(output).toContain('Configuration file is valid');
      expect(output).not.toContain('WARNING');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
