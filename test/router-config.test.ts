import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../platform/paths';
import { portOf, readSubgraphList, variablesOf } from '../schema/registry';

// Apollo Router cannot run here: these checks hold deploy/router.yaml to the supergraph and to the compose topology.
const text = readFileSync(join(repoRoot, 'deploy/router.yaml'), 'utf8');
const router = parse(text) as { override_subgraph_url?: Record<string, string>; coprocessor?: { subgraph?: { all?: { request?: Record<string, boolean> } } } };
const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string> }>;
};
const registry = readSubgraphList();

describe('deploy/router.yaml', () => {
  it('names a supergraph that exists and composes every subgraph of the registry', () => {
    const path = text.match(/--supergraph (\S+)/)?.[1] as string;
    expect(path).toBe('schema/supergraph.graphql');
    expect(existsSync(join(repoRoot, path))).toBe(true);
    const supergraph = readFileSync(join(repoRoot, path), 'utf8');
    for (const sg of registry) expect(supergraph).toContain(`@join__graph(name: "${sg.name}"`);
  });

  it('routes every subgraph of the registry where the production gateways do: through the load balancer', () => {
    const gateways = compose.services['gateway-replicas']?.environment ?? {};
    expect(Object.keys(router.override_subgraph_url ?? {}).sort()).toEqual(registry.map((sg) => sg.name).sort());
    for (const sg of registry) {
      expect(router.override_subgraph_url?.[sg.name]).toBe(`http://load-balancer:${portOf(sg.routingUrl)}/graphql`);
      expect(router.override_subgraph_url?.[sg.name]).toBe(gateways[variablesOf(sg).gatewayUrl]);
    }
  });

  it('hands every subgraph request to the coprocessor with its headers and context (the verified claims)', () => {
    expect(router.coprocessor?.subgraph?.all?.request).toEqual({ headers: true, context: true });
  });
});
