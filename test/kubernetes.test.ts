import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { GATEWAY_SETTINGS } from '../gateway/config';
import { gatewayMetrics } from '../gateway/metrics';
import { JWKS_PATH } from '../gateway/server';
import { eventsServiceSettings } from '../platform/events/webhooks/settings';
import { GRAPHQL_PATH } from '../platform/graphql-http';
import { repoRoot } from '../platform/paths';
import { portOf, readSubgraphList, standInsOf, standInVariables, subgraphCommand, variablesOf } from '../schema/registry';
import { envExampleFile } from '../scripts/env-example';
import {
  cidrContains,
  containerPort,
  environment,
  keysOf,
  loadManifests,
  MANIFESTS_DIR,
  modelOf,
  readDocuments,
  selected,
  selects,
  yamlFiles,
  type Workload,
} from './support/kubernetes';

const documents = readDocuments();
const manifests = loadManifests();
const registry = readSubgraphList();
const workload = (name: string): Workload => {
  const found = manifests.workloads.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no workload ${name}`);
  return found;
};
const envOf = (name: string) => environment(workload(name).container);
const policy = (name: string) => {
  const found = manifests.policies.find((candidate) => candidate.metadata?.name === name);
  if (!found) throw new Error(`no NetworkPolicy ${name}`);
  return found;
};
const names = (workloads: Workload[]) => workloads.map((one) => one.name).sort();

/** What each service's entry serves, read from the code that routes it: the events service has its own server. */
const routesOf = (name: string): string[] => {
  const source = name === 'events' ? 'platform/events/service/server.ts' : 'platform/graphql-http.ts';
  return [...readFileSync(join(repoRoot, source), 'utf8').matchAll(/(?:path|pathname) === '(\/[^']*)'/g)].map((match) => match[1] as string);
};

/** Where each workload's ports are set, by the variables its code reads. */
const portVariables: Record<string, { port: string; metricsPort: string }> = {
  gateway: { port: GATEWAY_SETTINGS.port.variable, metricsPort: GATEWAY_SETTINGS.metricsPort.variable },
  events: { port: eventsServiceSettings.port.variable, metricsPort: eventsServiceSettings.metricsPort.variable },
  ...Object.fromEntries(registry.map((entry) => [entry.name, variablesOf(entry)])),
};

describe('deploy/kubernetes', () => {
  it('holds only API objects that validate against their OpenAPI schemas, besides the kustomization', () => {
    const kinds = new Set<string>();
    for (const document of documents) {
      if (document.file === 'kustomization.yaml') continue;
      const model = modelOf(document);
      expect({ file: document.file, kind: model && document.data.kind }).toEqual({ file: document.file, kind: document.data.kind });
      expect(() => model?.validate()).not.toThrow();
      kinds.add(`${document.data.kind}`);
    }
    expect([...kinds].sort()).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Ingress',
        'Namespace',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'Secret',
        'Service',
        'StatefulSet',
      ].sort(),
    );
  });

  it('lists every file of the folder in kustomization.yaml, and only those', () => {
    const kustomization = parse(readFileSync(join(MANIFESTS_DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual(yamlFiles().filter((file) => file !== 'kustomization.yaml'));
    expect(readdirSync(MANIFESTS_DIR).filter((file) => !file.endsWith('.yaml'))).toEqual(['README.md']);
  });

  it('runs the gateway, every subgraph of the registry and the events service, 2 replicas each, as docker-compose.yml starts them', () => {
    expect(names(manifests.workloads)).toEqual(['events', 'gateway', ...registry.map((entry) => entry.name)].sort());
    const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { command: string[] }> };
    for (const one of manifests.workloads) {
      expect({ name: one.name, replicas: one.replicas, command: one.container.command }).toEqual({
        name: one.name,
        replicas: 2,
        command: compose.services[one.name]?.command,
      });
      expect(one.container).toMatchObject({ image: 'atrium:latest', imagePullPolicy: 'IfNotPresent' });
      expect(selects(one.selector, one.template.metadata?.labels)).toBe(true);
    }
    for (const entry of registry) {
      const { script, args } = subgraphCommand(entry);
      expect(workload(entry.name).container.command).toEqual(['node', `dist/${script}`, ...args]);
    }
  });

  it('runs the services that resume workflows as StatefulSets, each pod with its own stable executor id', () => {
    for (const name of ['orders', 'events']) {
      expect(workload(name).kind).toBe('StatefulSet');
      expect(envOf(name).WORKFLOW_EXECUTOR_ID).toBe('field:metadata.name');
    }
  });

  it("listens on the ports its settings name, and scrapes the metrics port; no service links shadow Atrium's variables", () => {
    for (const one of manifests.workloads) {
      const env = environment(one.container);
      const variables = portVariables[one.name]!;
      expect({ name: one.name, http: containerPort(one.container, 'http'), metrics: containerPort(one.container, 'metrics') }).toEqual({
        name: one.name,
        http: Number(env[variables.port]),
        metrics: Number(env[variables.metricsPort]),
      });
      expect(one.template.metadata?.annotations?.['prometheus.io/port']).toBe(env[variables.metricsPort]);
      expect(one.template.spec?.enableServiceLinks).toBe(false);
    }
  });

  it('probes /ready for readiness and /health for liveness and start-up, routes the service serves, on its declared port', () => {
    for (const one of manifests.workloads) {
      const { readinessProbe, livenessProbe, startupProbe } = one.container;
      const probes = { readiness: readinessProbe?.httpGet, liveness: livenessProbe?.httpGet, startup: startupProbe?.httpGet };
      expect({ name: one.name, paths: [probes.readiness?.path, probes.liveness?.path, probes.startup?.path] }).toEqual({
        name: one.name,
        paths: ['/ready', '/health', '/health'],
      });
      for (const probe of Object.values(probes)) {
        expect(routesOf(one.name)).toContain(probe?.path);
        expect(containerPort(one.container, probe?.port)).toBe(Number(environment(one.container)[portVariables[one.name]!.port]));
      }
    }
  });

  it('stops within the grace period: SIGKILL comes after SHUTDOWN_GRACE_MS, the delay within it', () => {
    for (const one of manifests.workloads) {
      const env = environment(one.container);
      const graceMs = Number(env.SHUTDOWN_GRACE_MS);
      const delayMs = Number(env.SHUTDOWN_DELAY_MS);
      expect({ name: one.name, graceMs: graceMs > 0, delayMs: delayMs > 0 }).toEqual({ name: one.name, graceMs: true, delayMs: true });
      expect(delayMs).toBeLessThan(graceMs);
      expect((one.template.spec?.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(graceMs);
    }
  });

  it('runs as a non-root user with no capabilities on a read-only root filesystem, in production mode, with resources bounded', () => {
    for (const one of manifests.workloads) {
      const pod = one.template.spec!;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      expect(one.container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(one.container.resources).toMatchObject({ requests: { cpu: expect.anything(), memory: expect.anything() } });
      expect(one.container.resources).toMatchObject({ limits: { cpu: expect.anything(), memory: expect.anything() } });
      // With REDIS_URL nothing is written under ATRIUM_DATA_DIR; what else writes to a temporary file gets an emptyDir.
      const env = environment(one.container);
      expect({ name: one.name, NODE_ENV: env.NODE_ENV, HOST: env.HOST }).toEqual({ name: one.name, NODE_ENV: 'production', HOST: '0.0.0.0' });
      if (one.name !== 'events') expect(env.REDIS_URL).toBeDefined();
      expect(env.ATRIUM_DATA_DIR).toBeUndefined();
    }
  });

  it('names only settings Atrium reads (.env.example), taken from Secrets and ConfigMaps that have those keys', () => {
    const documented = new Set([...readFileSync(envExampleFile(repoRoot), 'utf8').matchAll(/^# ([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]));
    // The gateway reads SUBGRAPH_<NAME>_URL for any name; .env.example shows one.
    for (const entry of registry) documented.add(variablesOf(entry).gatewayUrl);
    const sources = [
      ...manifests.secrets.map((secret) => ({ kind: 'secret', name: secret.metadata?.name, keys: keysOf(secret) })),
      ...manifests.configMaps.map((map) => ({ kind: 'configMap', name: map.metadata?.name, keys: keysOf(map) })),
    ];
    for (const one of manifests.workloads) {
      for (const [variable, value] of Object.entries(environment(one.container))) {
        expect({ workload: one.name, variable, documented: documented.has(variable) }).toEqual({ workload: one.name, variable, documented: true });
        const reference = /^(secret|configMap):([^/]+)\/(.+)$/.exec(value);
        if (!reference) continue;
        const [, kind, name, key] = reference;
        expect({ variable, found: sources.some((source) => source.kind === kind && source.name === name && source.keys.includes(key!)) }).toEqual({
          variable,
          found: true,
        });
      }
    }
  });

  it('mounts every file a *_FILE setting names from a Secret that has it', () => {
    let files = 0;
    for (const one of manifests.workloads) {
      for (const [variable, path] of Object.entries(environment(one.container))) {
        if (!variable.endsWith('_FILE')) continue;
        files += 1;
        const mount = one.container.volumeMounts?.find((candidate) => path.startsWith(`${candidate.mountPath}/`));
        const volume = one.template.spec?.volumes?.find((candidate) => candidate.name === mount?.name);
        const secret = manifests.secrets.find((candidate) => candidate.metadata?.name === volume?.secret?.secretName);
        expect({ variable, key: secret && keysOf(secret).includes(path.slice(`${mount?.mountPath}/`.length)) }).toEqual({ variable, key: true });
      }
    }
    expect(files).toBeGreaterThanOrEqual(2);
  });

  it('points the gateway at each subgraph through its Service, and the subgraphs at the gateway for its JWKS', () => {
    const gatewayEnv = envOf('gateway');
    const serviceUrl = (url: string) => {
      const { hostname, pathname } = new URL(url);
      const service = manifests.services.find((candidate) => candidate.metadata?.name === hostname);
      const port = service?.spec?.ports?.find((candidate) => candidate.port === portOf(url));
      const [target] = selected(manifests, { matchLabels: service?.spec?.selector });
      return { workload: target?.name, port: target && containerPort(target.container, port?.targetPort), pathname };
    };
    for (const entry of registry) {
      const url = gatewayEnv[variablesOf(entry).gatewayUrl]!;
      expect(serviceUrl(url)).toEqual({ workload: entry.name, port: containerPort(workload(entry.name).container, 'http'), pathname: GRAPHQL_PATH });
      expect(serviceUrl(envOf(entry.name).GATEWAY_JWKS_URL!)).toEqual({
        workload: 'gateway',
        port: containerPort(workload('gateway').container, 'http'),
        pathname: JWKS_PATH,
      });
    }
  });

  it("selects one workload's pods with each Service, targeting ports its container declares", () => {
    for (const service of manifests.services) {
      const targets = selected(manifests, { matchLabels: service.spec?.selector });
      expect({ service: service.metadata?.name, targets: names(targets) }).toEqual({ service: service.metadata?.name, targets: [service.metadata?.name] });
      for (const port of service.spec?.ports ?? []) expect(containerPort(targets[0]!.container, port.targetPort)).toBeDefined();
      expect(service.spec?.type ?? 'ClusterIP').toBe('ClusterIP');
    }
    expect(names(manifests.workloads)).toEqual(manifests.services.map((service) => service.metadata?.name).sort());
  });

  it('exposes only the gateway, at /graphql, through the Ingress', () => {
    const backends = manifests.ingresses.flatMap((ingress) => ingress.spec?.rules?.flatMap((rule) => rule.http?.paths ?? []) ?? []);
    expect(backends.map((path) => [path.path, path.backend.service?.name])).toEqual([[GRAPHQL_PATH, 'gateway']]);
    const service = manifests.services.find((candidate) => candidate.metadata?.name === 'gateway');
    expect(service?.spec?.ports?.map((port) => port.name)).toContain(backends[0]?.backend.service?.port?.name);
  });

  it('autoscales every workload on CPU, between 2 replicas and more, and keeps all but one available in a disruption', () => {
    for (const one of manifests.workloads) {
      const autoscalers = manifests.autoscalers.filter(({ spec }) => spec?.scaleTargetRef.kind === one.kind && spec.scaleTargetRef.name === one.name);
      expect({ name: one.name, count: autoscalers.length }).toEqual({ name: one.name, count: 1 });
      const spec = autoscalers[0]!.spec!;
      expect(spec.minReplicas).toBe(2);
      expect(spec.maxReplicas).toBeGreaterThan(2);
      expect(spec.metrics?.map((metric) => metric.resource?.name)).toEqual(['cpu']);
      const budgets = manifests.budgets.filter(({ spec: budget }) => names(selected(manifests, budget?.selector)).join() === one.name);
      expect({ name: one.name, budgets: budgets.map((budget) => budget.spec?.maxUnavailable) }).toEqual({ name: one.name, budgets: [1] });
    }
    expect(manifests.autoscalers).toHaveLength(manifests.workloads.length);
    for (const budget of manifests.budgets) expect(selected(manifests, budget.spec?.selector)).toHaveLength(1);
  });

  it("shows the switch to requests per second with the gateway's real operations counter", async () => {
    const counter = (await gatewayMetrics.operations.get()).name;
    expect(readFileSync(join(MANIFESTS_DIR, 'gateway.yaml'), 'utf8')).toContain(counter);
    expect(readFileSync(join(MANIFESTS_DIR, 'README.md'), 'utf8')).toContain(`seriesQuery: '${counter}`);
  });
});

describe('deploy/kubernetes network policies', () => {
  const subgraphs = registry.map((entry) => entry.name);
  /** The workloads a policy applies to. */
  const appliesTo = (name: string) => names(selected(manifests, policy(name).spec?.podSelector));
  /** Every ipBlock a workload may send to, with the ports. */
  const egressBlocks = manifests.policies.flatMap((one) =>
    (one.spec?.egress ?? []).flatMap((rule) =>
      (rule.to ?? []).flatMap((peer) => (peer.ipBlock ? [{ policy: one, block: peer.ipBlock, ports: rule.ports ?? [] }] : [])),
    ),
  );
  const cidrOf = (name: string) => policy(name).spec?.egress?.[0]?.to?.[0]?.ipBlock?.cidr ?? policy(name).spec?.ingress?.[0]?.from?.[0]?.ipBlock?.cidr;

  it('denies all traffic in and out by default, and lets every pod resolve names', () => {
    expect(policy('default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(policy('allow-dns').spec?.egress?.[0]?.ports?.map((port) => port.port)).toEqual([53, 53]);
  });

  it('selects existing pods, and names only ports those pods declare', () => {
    for (const one of manifests.policies) {
      const targets = selected(manifests, one.spec?.podSelector);
      expect({ policy: one.metadata?.name, selects: targets.length > 0 }).toEqual({ policy: one.metadata?.name, selects: true });
      for (const rule of one.spec?.ingress ?? []) {
        for (const peer of rule.from ?? [])
          if (peer.podSelector && !peer.namespaceSelector) expect(selected(manifests, peer.podSelector).length).toBeGreaterThan(0);
        for (const { port } of rule.ports ?? []) for (const target of targets) expect(containerPort(target.container, port)).toBeDefined();
      }
      for (const rule of one.spec?.egress ?? []) {
        for (const peer of rule.to ?? []) {
          if (!peer.podSelector || peer.namespaceSelector) continue;
          const peers = selected(manifests, peer.podSelector);
          expect(peers.length).toBeGreaterThan(0);
          for (const { port } of rule.ports ?? []) for (const target of peers) expect(containerPort(target.container, port)).toBeDefined();
        }
      }
    }
  });

  it("lets only the gateway, and the systems that post webhooks, reach a subgraph's GraphQL port", () => {
    for (const entry of registry) {
      const pod = workload(entry.name);
      const webhookBlocks = standInsOf(entry)
        .filter((standIn) => standIn.webhooks)
        .map((standIn) => cidrOf(`${entry.name}-from-${standIn.name}`));
      for (const one of manifests.policies.filter((candidate) => selects(candidate.spec?.podSelector, pod.template.metadata?.labels))) {
        for (const rule of one.spec?.ingress ?? []) {
          const ports = (rule.ports ?? []).map(({ port }) => containerPort(pod.container, port));
          if (rule.ports && !ports.includes(containerPort(pod.container, 'http'))) continue;
          for (const peer of rule.from ?? []) {
            const from = peer.ipBlock
              ? `ipBlock ${peer.ipBlock.cidr}`
              : peer.namespaceSelector
                ? 'namespace'
                : names(selected(manifests, peer.podSelector)).join();
            expect({ subgraph: entry.name, policy: one.metadata?.name, from }).toEqual({
              subgraph: entry.name,
              policy: one.metadata?.name,
              from: peer.ipBlock && webhookBlocks.includes(peer.ipBlock.cidr) ? from : 'gateway',
            });
          }
        }
      }
    }
  });

  it('lets each subgraph, and no other pod, reach its own backend and providers, on the port of their URL', () => {
    let reached = 0;
    for (const entry of registry) {
      for (const standIn of standInsOf(entry)) {
        const name = `${entry.name}-to-${standIn.name}`;
        expect(appliesTo(name)).toEqual([entry.name]);
        const variable = standInVariables(standIn).url;
        const [, mapName, key] = /^configMap:([^/]+)\/(.+)$/.exec(envOf(entry.name)[variable] ?? '') ?? [];
        const url = manifests.configMaps.find((map) => map.metadata?.name === mapName)?.data?.[key ?? ''];
        expect({ variable, url: url !== undefined }).toEqual({ variable, url: true });
        expect(policy(name).spec?.egress?.[0]?.ports?.map((port) => port.port)).toEqual([portOf(url!)]);
        const cidr = cidrOf(name)!;
        for (const { policy: other, block } of egressBlocks) {
          const covers = cidrContains(block.cidr, cidr) && !(block.except ?? []).some((excepted) => cidrContains(excepted, cidr));
          if (covers)
            expect({ standIn: standIn.name, policy: other.metadata?.name, to: names(selected(manifests, other.spec?.podSelector)) }).toEqual({
              standIn: standIn.name,
              policy: other.metadata?.name,
              to: [entry.name],
            });
        }
        reached += 1;
      }
      for (const standIn of standInsOf(entry).filter((one) => one.webhooks)) {
        const name = `${entry.name}-from-${standIn.name}`;
        expect(appliesTo(name)).toEqual([entry.name]);
        expect(cidrOf(name)).toBe(cidrOf(`${entry.name}-to-${standIn.name}`));
        expect(policy(name).spec?.ingress?.[0]?.ports?.map((port) => port.port)).toEqual(['http']);
      }
    }
    expect(reached).toBe(5);
  });

  it('lets the gateway call the subgraphs, and the subgraphs fetch its JWKS', () => {
    expect(appliesTo('gateway-to-subgraphs')).toEqual(['gateway']);
    expect(names(selected(manifests, policy('gateway-to-subgraphs').spec?.egress?.[0]?.to?.[0]?.podSelector))).toEqual([...subgraphs].sort());
    expect(appliesTo('subgraphs-from-gateway')).toEqual([...subgraphs].sort());
    expect(appliesTo('subgraphs-to-gateway-jwks')).toEqual([...subgraphs].sort());
    expect(appliesTo('gateway-from-subgraphs')).toEqual(['gateway']);
    expect(names(selected(manifests, policy('gateway-from-subgraphs').spec?.ingress?.[0]?.from?.[0]?.podSelector))).toEqual([...subgraphs].sort());
  });

  it('lets exactly the services given DATABASE_URL reach PostgreSQL, and those given REDIS_URL reach Redis', () => {
    const given = (variable: string) => names(manifests.workloads.filter((one) => environment(one.container)[variable] !== undefined));
    expect(appliesTo('postgresql')).toEqual(given('DATABASE_URL'));
    expect(given('DATABASE_URL')).toEqual(['events', 'gateway', 'orders', 'support-tickets']);
    expect(appliesTo('redis')).toEqual(given('REDIS_URL'));
    expect(given('REDIS_URL')).toEqual(['gateway', ...subgraphs].sort());
  });

  it("lets Prometheus's namespace scrape every metrics port and nothing else", () => {
    const rules = manifests.policies.flatMap((one) => (one.spec?.ingress ?? []).map((rule) => ({ one, rule })));
    const fromMonitoring = rules.filter(({ rule }) =>
      (rule.from ?? []).some((peer) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring'),
    );
    expect(fromMonitoring.map(({ rule }) => rule.ports?.map((port) => port.port))).toEqual([['metrics']]);
    expect(names(selected(manifests, fromMonitoring[0]?.one.spec?.podSelector))).toEqual(names(manifests.workloads));
  });
});
