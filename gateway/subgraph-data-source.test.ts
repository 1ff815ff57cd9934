import { createServer, type Server } from 'node:http';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { closeServer, listen } from '../platform/http';
import { SubgraphClient } from './subgraph-client';
import { cacheHint, SubgraphDataSource } from './subgraph-data-source';

describe('cacheHint', () => {
  it.each([
    ['max-age=30, private', { maxAge: 30, scope: 'PRIVATE' }],
    ['Public, MAX-AGE="60"', { maxAge: 60, scope: 'PUBLIC' }],
    ['no-store', { maxAge: 0 }],
    ['max-age=soon, public', { maxAge: 0, scope: 'PUBLIC' }],
    [undefined, { maxAge: 0 }],
  ])('reads %p as %p', (header, hint) => expect(cacheHint(header)).toEqual(hint));
});

describe('SubgraphDataSource', () => {
  let server: Server;
  let url: string;
  let status: number;
  const client = new SubgraphClient({ connections: 2 });
  beforeAll(async () => {
    server = createServer((_req, res) => {
      const body = status === 200 ? '{"data":{"a":1}}' : '{"errors":[{"message":"busy","extensions":{"code":"OVERLOADED"}}]}';
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '1' }).end(body);
    });
    url = `${await listen(server, 0, '127.0.0.1')}/graphql`;
  });
  afterAll(async () => {
    await client.close();
    await closeServer(server);
  });

  // What the gateway passes when it loads a schema or checks health: no incoming operation, no caller.
  const fetchOf = (query: string, variables?: Record<string, unknown>) =>
    new SubgraphDataSource('orders', url, client, 1_000).process({ request: { query, variables }, context: {} } as unknown as GraphQLDataSourceProcessOptions);

  it('returns the answer as the subgraph sent it', async () => {
    status = 200;
    expect(await fetchOf('{ a }')).toEqual({ data: { a: 1 } });
  });

  it('turns a subgraph refusing for now (503) into SUBGRAPH_UNAVAILABLE at each field it was to fill', async () => {
    status = 503;
    const answer = await fetchOf('query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Customer { orders { id } } } }', {
      representations: [{}, {}],
    });
    expect(answer.data).toBeUndefined();
    expect(answer.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
      [['_entities', 0, 'orders'], 'SUBGRAPH_UNAVAILABLE'],
      [['_entities', 1, 'orders'], 'SUBGRAPH_UNAVAILABLE'],
    ]);
    expect(answer.errors?.[0]?.message).toBe('subgraph "orders" is overloaded; retry shortly');
  });

  it('refuses other HTTP errors with a code and without the subgraph URL or body', async () => {
    status = 500;
    await expect(fetchOf('{ a }')).rejects.toMatchObject({ message: 'subgraph "orders" answered HTTP 500', extensions: { code: 'SUBGRAPH_ERROR' } });
  });
});
