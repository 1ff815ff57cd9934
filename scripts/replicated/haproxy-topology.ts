import { join } from 'node:path';
import { repoRoot } from '../../platform/paths';

/** deploy/haproxy/haproxy.cfg: the load-balancing policy every deployment shares (checks, retries, redispatch). */
export const HAPROXY_POLICY = join(repoRoot, 'deploy', 'haproxy', 'haproxy.cfg');

/** One load-balanced service: where HAProxy listens for it, and its replicas. */
export interface BalancedService {
  name: string;
  /** The port clients (and the gateway, for a subgraph) use. */
  port: number;
  replicas: { name: string; port: number }[];
}

/**
 * The topology part of HAProxy's configuration for services on one host: a frontend and a backend per service, loaded
 * after deploy/haproxy/haproxy.cfg (`haproxy -f policy -f topology`), whose defaults give every server its checks.
 *
 * Each service fails open: when none of its replicas says it is ready, requests go to those alive (checked on
 * `/health`) rather than to HAProxy's own 503 with no GraphQL body. For a subgraph, not ready means its backend's
 * circuit is open — the same backend for every replica — and a replica still answers then, with last good values or
 * a clear BACKEND_UNAVAILABLE; for any service, replicas too busy to answer their checks in time still serve.
 */
export function renderHaproxyTopology(services: BalancedService[], host = '127.0.0.1'): string {
  const lines = ['# The replicas on this host, rendered by npm run start:replicated; policy: deploy/haproxy/haproxy.cfg.'];
  const servers = (service: BalancedService) => service.replicas.map((replica) => `  server ${replica.name} ${host}:${replica.port}`);
  for (const service of services) {
    lines.push('', `frontend ${service.name}`, `  bind ${host}:${service.port}`);
    lines.push(`  use_backend ${service.name} if { nbsrv(${service.name}) gt 0 }`, `  default_backend ${service.name}-live`);
    lines.push('', `backend ${service.name}`, ...servers(service));
    lines.push('', `# No replica of ${service.name} says it is ready: the ones alive still answer.`, `backend ${service.name}-live`);
    lines.push('  http-check send meth GET uri /health', '  http-check expect status 200', ...servers(service));
  }
  return `${lines.join('\n')}\n`;
}
