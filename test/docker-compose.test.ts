import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../platform/paths';

/** The parts of a compose service these checks read. */
interface ComposeService {
  command?: string[];
  profiles?: string[];
  ports?: string[];
  networks?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { required?: boolean }>;
}

// `merge`: the file shares settings through YAML merge keys (`<<: *service`), as Compose reads them.
const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  networks: Record<string, { internal?: boolean } | null>;
  services: Record<string, ComposeService>;
};
const services = Object.entries(compose.services);
/** What `docker compose up` starts: services without a profile. */
const byDefault = services.filter(([, service]) => !service.profiles);
const entry = (service: ComposeService) => service.command?.find((part) => part.startsWith('dist/')) ?? '';
const isSubgraph = (service: ComposeService) => entry(service).startsWith('dist/subgraphs/');
const isBackend = (service: ComposeService) => entry(service).startsWith('dist/legacy/') && !entry(service).includes('identity-provider');

describe('docker-compose.yml', () => {
  it('publishes only the gateway by default', () => {
    expect(byDefault.filter(([, service]) => (service.ports ?? []).length > 0).map(([name]) => name)).toEqual(['gateway']);
  });

  it('puts backends and subgraphs on the internal network only, which has no route in or out', () => {
    expect(compose.networks.internal?.internal).toBe(true);
    const inside = byDefault.filter(([, service]) => isSubgraph(service) || isBackend(service));
    expect(inside.filter(([, service]) => isSubgraph(service))).toHaveLength(4);
    expect(inside.filter(([, service]) => isBackend(service))).toHaveLength(5);
    for (const [name, service] of inside) expect({ name, networks: service.networks }).toEqual({ name, networks: ['internal'] });
    expect(compose.services.gateway?.networks).toEqual(expect.arrayContaining(['internal']));
  });

  it('leaves the development issuer out of the default stack; the gateway takes its issuer from the environment', () => {
    const issuers = services.filter(([, service]) => entry(service).includes('identity-provider'));
    expect(issuers).toHaveLength(1);
    for (const [name, service] of issuers) {
      expect(service.profiles).toEqual(['dev']);
      // A default service may wait for it when it runs, never require it.
      for (const [, other] of byDefault) if (other.depends_on?.[name]) expect(other.depends_on[name]?.required).toBe(false);
    }
    for (const variable of ['OAUTH_ISSUER', 'OAUTH_AUDIENCE', 'OAUTH_JWKS_URL']) {
      expect(compose.services.gateway?.environment?.[variable]).toMatch(new RegExp(`^\\$\\{${variable}:\\?.+\\}$`));
    }
  });

  it('publishes what a profile adds on the loopback interface only', () => {
    const extra = services.filter(([, service]) => service.profiles).flatMap(([, service]) => service.ports ?? []);
    expect(extra.length).toBeGreaterThan(0);
    for (const port of extra) expect(port).toMatch(/^127\.0\.0\.1:/);
  });
});
