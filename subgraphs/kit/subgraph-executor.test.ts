import { ada } from '../../test/support/customers';
import { HeaderMap } from '@apollo/server';
import { asCaller } from '../../test/support/operations';
import { viewer } from '../../test/support/viewers';
import type { CustomersBackend } from '../customers/crm-client';
import customers from '../customers/subgraph';
import { subgraphOverAdapters } from './build-subgraph';
import { createSubgraphServer } from './subgraph-server';
import { silentLogger } from '../../platform/log';

const backend: CustomersBackend = {
  customer: async (id) => (id === ada.id ? ada : null),
  customers: async () => ({ nodes: [ada], endCursor: 'c1', hasNextPage: true, totalCount: 1000 }),
};

/** The same request on the lean path and, with an (empty) `extensions` member the lean path leaves alone, on Apollo's. */
async function bothPaths(body: Record<string, unknown>, caller = viewer('service')) {
  const subgraph = subgraphOverAdapters(customers, () => ({ customers: backend }));
  await subgraph.server.start();
  const send = async (sent: Record<string, unknown>) => {
    const headers = new HeaderMap([['content-type', 'application/json']]);
    const response = await subgraph.server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: '', body: sent },
      context: async () => asCaller({ customers: backend }, caller),
    });
    if (response.body.kind !== 'complete') throw new Error('expected a complete body');
    return { status: response.status ?? 200, cacheControl: response.headers.get('cache-control'), body: JSON.parse(response.body.string) as unknown };
  };
  const lean = await send(body);
  const apollo = await send({ ...body, extensions: {} });
  await subgraph.server.stop();
  return { lean, apollo };
}

describe('a subgraph answers a fetch alike on its lean path and on Apollo Server', () => {
  it.each([
    ['a customer with an inheriting address', { query: 'query($id: ID!) { customer(id: $id) { id name address { city } } }', variables: { id: 'cust-1' } }],
    ['an unknown customer', { query: '{ customer(id: "cust-9") { id } }' }],
    ['a page whose connection inherits', { query: '{ customers(first: 2) { nodes { id } pageInfo { hasNextPage endCursor } totalCount } }' }],
    [
      'entities by representation',
      {
        query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id name } } }',
        variables: { r: [{ __typename: 'Customer', id: 'cust-1' }] },
      },
    ],
    ['the service SDL', { query: '{ _service { sdl } }' }],
    ['only a typename', { query: '{ __typename }' }],
    ['a named operation among several', { query: 'query a { __typename } query b { customer(id: "cust-1") { id } }', operationName: 'b' }],
  ])('%s', async (_name, body) => {
    const { lean, apollo } = await bothPaths(body);
    expect(lean).toEqual(apollo);
  });

  it('a field the caller may not read: the same masked error, and nothing cached', async () => {
    const { lean, apollo } = await bothPaths({ query: '{ customer(id: "cust-1") { id email } }' }, viewer('service', 'svc-1', ['customers:read']));
    expect(lean).toEqual(apollo);
    expect(lean.cacheControl).toBe('no-store');
    expect(JSON.stringify(lean.body)).toContain('FORBIDDEN');
  });

  it('refuses introspection on both paths where it is off, as in production', async () => {
    const server = createSubgraphServer({ ...customers, log: silentLogger, introspection: false });
    await server.start();
    const result = await server.executeOperation({ query: '{ __schema { types { name } } }' }, asCaller({ customers: backend }));
    await server.stop();
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});
