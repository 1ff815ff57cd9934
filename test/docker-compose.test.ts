import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../platform/paths';
import { shutdownGraceVar } from '../platform/run';
import { portOf, readSubgraphList, standInsOf, variablesOf, webhookPath, webhookVariable } from '../schema/registry';
import { haproxyConfig } from './support/haproxy-config';
import { describeWhen } from './support/describe-when';

/** The parts of a compose service these checks read. */
interface ComposeService {
  image?: string;
  command?: string[];
  profiles?: string[];
  ports?: string[];
  networks?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { required?: boolean }>;
  deploy?: { replicas?: number };
  stop_grace_period?: string;
  volumes?: string[];
  secrets?: string[];
}

// `merge`: the file shares settings through YAML merge keys (`<<: *service`), as Compose reads them.
const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  networks: Record<string, { internal?: boolean } | null>;
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string }>;
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

  it('publishes what a profile other than production adds on the loopback interface only', () => {
    const extra = services.filter(([, service]) => service.profiles && !service.profiles.includes('production')).flatMap(([, service]) => service.ports ?? []);
    expect(extra.length).toBeGreaterThan(0);
    for (const port of extra) expect(port).toMatch(/^127\.0\.0\.1:/);
  });
});

/** `25s`, `1m30s`, `500ms`: a compose duration in milliseconds. */
const durationMs = (text: string): number => {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h)/g)];
  expect(parts.map((part) => part[0]).join('')).toBe(text);
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * (units[unit as string] as number), 0);
};

describe('docker-compose.yml, production profile', () => {
  const registry = readSubgraphList();
  const inProfile = services.filter(([, service]) => service.profiles?.includes('production'));
  const balancers = inProfile.filter(([, service]) => service.image?.startsWith('haproxy:'));
  const [balancerName = '', balancer = {}] = balancers[0] ?? [];
  /** What `docker compose --profile production up load-balancer` starts: the load balancer and its dependencies. */
  const stack = new Map<string, ComposeService>();
  const visit = (name: string) => {
    const service = compose.services[name];
    if (!service || stack.has(name)) return;
    stack.set(name, service);
    for (const dependency of Object.keys(service.depends_on ?? {})) visit(dependency);
  };
  visit(balancerName);
  const running = [...stack.entries()];
  const subgraphReplicas = (name: string) => running.filter(([, service]) => isSubgraph(service) && service.command?.at(-1) === name);
  const gateways = running.filter(([, service]) => entry(service) === 'dist/gateway/index.js');
  const topology = haproxyConfig(readFileSync(join(repoRoot, 'deploy/haproxy/compose.cfg'), 'utf8'));
  const section = (kind: string, name: string) => topology.find((found) => found.kind === kind && found.name === name);
  const atBalancer = (port: number) => `http://${balancerName}:${port}`;

  it('has one HAProxy load balancer, the only service it starts that publishes, on 4000 (stats on the loopback only)', () => {
    expect(balancers.map(([name]) => name)).toEqual(['load-balancer']);
    expect(balancer.image).toBe('haproxy:2.6');
    expect(running.filter(([, service]) => (service.ports ?? []).length > 0).map(([name]) => name)).toEqual([balancerName]);
    const [publicPort, ...others] = balancer.ports ?? [];
    expect(publicPort).toBe('4000:4000');
    for (const port of others) expect(port).toMatch(/^127\.0\.0\.1:/);
  });

  it('starts every service of the profile with the load balancer, and none of the one-per-service gateway and subgraphs', () => {
    expect(inProfile.map(([name]) => name).filter((name) => !stack.has(name))).toEqual([]);
    for (const [name, service] of running)
      if (isSubgraph(service) || entry(service) === 'dist/gateway/index.js')
        expect({ name, profiles: service.profiles }).toEqual({ name, profiles: ['production'] });
  });

  it('runs at least 2 replicas of the gateway, of every subgraph in the registry and of the events service', () => {
    const events = running.filter(([, service]) => entry(service) === 'dist/platform/events/service/index.js');
    for (const group of [gateways, events, ...registry.map((sg) => subgraphReplicas(sg.name))]) {
      expect(group).toHaveLength(1);
      for (const [, service] of group) expect(service.deploy?.replicas).toBeGreaterThanOrEqual(2);
    }
  });

  it('sets production mode, a shutdown delay, Redis and a stop grace above SHUTDOWN_GRACE_MS on every replica', () => {
    const replicas = running.filter(([, service]) => (service.deploy?.replicas ?? 1) > 1);
    expect(replicas.length).toBeGreaterThanOrEqual(registry.length + 2);
    for (const [name, service] of replicas) {
      const env = service.environment ?? {};
      expect({ name, NODE_ENV: env.NODE_ENV, REDIS_URL: env.REDIS_URL }).toEqual({ name, NODE_ENV: 'production', REDIS_URL: 'redis://redis:6379' });
      const grace = shutdownGraceVar().parse(env.SHUTDOWN_GRACE_MS);
      expect(Number(env.SHUTDOWN_DELAY_MS)).toBeGreaterThan(0);
      expect(Number(env.SHUTDOWN_DELAY_MS)).toBeLessThan(grace);
      expect(durationMs(service.stop_grace_period ?? '10s')).toBeGreaterThan(grace);
    }
    expect(stack.get('redis')?.image).toMatch(/^redis:7\.[02]$/);
    expect(durationMs(balancer.stop_grace_period ?? '10s')).toBeGreaterThan(shutdownGraceVar().parse(undefined));
  });

  it('routes the gateways to each subgraph through the load balancer, on its registry port', () => {
    const [, gateway = {}] = gateways[0] ?? [];
    for (const sg of registry) expect(gateway.environment?.[variablesOf(sg).gatewayUrl]).toBe(`${atBalancer(portOf(sg.routingUrl))}/graphql`);
  });

  it('shares one signing key between the gateways, from a compose secret', () => {
    const [, gateway = {}] = gateways[0] ?? [];
    expect(gateway.secrets).toHaveLength(1);
    const secret = gateway.secrets?.[0] as string;
    expect(compose.secrets?.[secret]?.file).toBeTruthy();
    expect(gateway.environment?.GATEWAY_SIGNING_KEY_FILE).toBe(`/run/secrets/${secret}`);
  });

  it('has subgraphs fetch the JWKS and stand-ins post webhooks through the load balancer', () => {
    for (const sg of registry) {
      for (const [name, service] of subgraphReplicas(sg.name))
        expect({ name, jwks: service.environment?.GATEWAY_JWKS_URL }).toEqual({ name, jwks: `${atBalancer(4000)}/.well-known/jwks.json` });
      for (const standIn of standInsOf(sg).filter((found) => found.webhooks)) {
        const posting = running.filter(([, service]) => entry(service) === 'dist/legacy/kit/main.js' && service.command?.at(-1) === standIn.name);
        expect(posting).toHaveLength(1);
        for (const [, service] of posting)
          expect(service.environment?.[webhookVariable(standIn)]).toBe(`${atBalancer(portOf(sg.routingUrl))}${webhookPath(standIn)}`);
      }
    }
  });

  it('leaves the development issuer out', () => {
    expect(running.filter(([, service]) => entry(service).includes('identity-provider'))).toEqual([]);
    for (const [name, service] of gateways)
      expect({ name, issuer: service.environment?.OAUTH_ISSUER }).toEqual({ name, issuer: expect.stringMatching(/^\$\{OAUTH_ISSUER:\?.+\}$/) });
  });

  it('loads the shared policy, then the compose topology, into HAProxy', () => {
    const mounted = (file: string) => (balancer.volumes ?? []).find((volume) => volume.startsWith(`./deploy/haproxy/${file}:`))?.split(':')[1];
    const policy = mounted('haproxy.cfg');
    const compose = mounted('compose.cfg');
    expect(policy).toBeTruthy();
    expect(compose).toBeTruthy();
    expect(balancer.command).toEqual(['-f', policy, '-f', compose]);
    expect(balancer.environment?.HAPROXY_STATS_ADDRESS).toBeTruthy();
  });

  describe('deploy/haproxy/compose.cfg', () => {
    it('resolves replicas through Docker DNS', () => {
      expect(section('resolvers', 'docker')?.lines).toContain('nameserver dns 127.0.0.11:53');
    });

    /** The server-template lines of a backend: every one over `<service>:<port>` through the docker resolver. */
    const targets = (backend: string) =>
      (section('backend', backend)?.lines ?? [])
        .filter((line) => line.startsWith('server-template '))
        .map((line) => line.match(/^server-template \S+ (\d+) (\S+) resolvers docker init-addr none$/)?.[2]);

    it('balances the gateway replicas on :4000 and fails open to /health', () => {
      expect(section('frontend', 'gateway')?.lines).toEqual(['bind :4000', 'use_backend gateway if { nbsrv(gateway) gt 0 }', 'default_backend gateway-live']);
      expect(targets('gateway')).toEqual(gateways.map(([name]) => `${name}:4000`));
      expect(targets('gateway-live')).toEqual(gateways.map(([name]) => `${name}:4000`));
    });

    it.each(registry.map((sg) => [sg.name, portOf(sg.routingUrl), variablesOf(sg).port] as const))(
      'balances %s on its registry port %d and fails open to /health',
      (name, port, portVariable) => {
        const replicas = subgraphReplicas(name).map(([service]) => `${service}:${port}`);
        for (const [, service] of subgraphReplicas(name)) expect(service.environment?.[portVariable]).toBe(String(port));
        expect(section('frontend', name)?.lines).toEqual([`bind :${port}`, `use_backend ${name} if { nbsrv(${name}) gt 0 }`, `default_backend ${name}-live`]);
        // Checked on /ready, as the policy's defaults have it.
        expect(section('backend', name)?.lines.filter((line) => line.startsWith('http-check'))).toEqual([]);
        expect(targets(name)).toEqual(replicas);
        expect(section('backend', `${name}-live`)?.lines.filter((line) => line.startsWith('http-check'))).toEqual([
          'http-check send meth GET uri /health',
          'http-check expect status 200',
        ]);
        expect(targets(`${name}-live`)).toEqual(replicas);
      },
    );
  });
});

/** Whether a command runs here: undefined when it does, otherwise why not. */
const missingCommand = (command: string, args: string[]): string | undefined => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) return `${command} is not installed`;
  return result.status === 0 ? undefined : `\`${command} ${args.join(' ')}\` fails: ${(result.stderr || result.stdout).trim().split('\n')[0]}`;
};

describeWhen('haproxy -c on the compose topology', missingCommand('haproxy', ['-v']), () => {
  it('finds deploy/haproxy/haproxy.cfg followed by compose.cfg valid', () => {
    const result = spawnSync('haproxy', ['-c', '-f', 'deploy/haproxy/haproxy.cfg', '-f', 'deploy/haproxy/compose.cfg'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, HAPROXY_STATS_ADDRESS: '127.0.0.1:8404' },
    });
    expect({ status: result.status, output: `${result.stdout}${result.stderr}`.trim() }).toEqual({
      status: 0,
      output: expect.stringContaining('Configuration file is valid'),
    });
  });
});

// Docker's Compose plugin is not in Debian's archive, so CI cannot install it: this check runs where it is, and is
// skipped with its reason elsewhere, CI included.
const composeMissing = missingCommand('docker', ['compose', 'version']);
if (composeMissing) console.warn(`skipping "docker compose config, production profile": ${composeMissing}`);
(composeMissing ? describe.skip : describe)('docker compose config, production profile', () => {
  it('accepts the file', () => {
    const result = spawnSync(
      'docker',
      ['compose', '-f', 'docker-compose.yml', '--env-file', 'deploy/compose-dev.env', '--profile', 'production', 'config', '-q'],
      {
        cwd: repoRoot,
        encoding: 'utf8',
      },
    );
    expect({ status: result.status, stderr: result.stderr.trim() }).toEqual({ status: 0, stderr: '' });
  });
});
