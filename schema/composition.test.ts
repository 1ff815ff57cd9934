import { readFileSync } from 'node:fs';
import { breakingChanges, composeSupergraph, readSchemaFile, SUPERGRAPH_FILE } from './composition';
import { readSubgraphList } from './registry';

const backend = { name: 'crm', url: 'http://127.0.0.1:4101' };

describe('composition', () => {
  it('gives exactly the committed schema/supergraph.graphql (run `npm run compose` after changing a subgraph schema)', () => {
    const result = composeSupergraph();
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toBe(readFileSync(SUPERGRAPH_FILE, 'utf8'));
  });

  it('lists the four subgraphs, each with its backend', () => {
    expect(readSubgraphList().map((s) => [s.name, s.backend.name])).toEqual(
      expect.arrayContaining([
        ['customers', 'crm'],
        ['orders', 'erp'],
        ['preferences', 'preference-service'],
        ['support-tickets', 'helpdesk'],
      ]),
    );
  });

  it('names the subgraph, type and field when subgraphs disagree', () => {
    const disagreeing = { name: 'disagreeing', routingUrl: 'http://127.0.0.1:4999/graphql', metricsPort: 9999, backend };
    const sdl =
      'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n' + 'type Customer @key(fields: "id") { id: ID! name: Int }\n';
    const result = composeSupergraph([...readSubgraphList(), disagreeing], (entry) => (entry === disagreeing ? sdl : readSchemaFile(entry)));
    expect(result.supergraphSdl).toBeUndefined();
    expect(result.errors?.join('\n')).toMatch(/Customer\.name/);
    expect(result.errors?.join('\n')).toMatch(/"disagreeing"/);
  });

  it('names the subgraph whose schema does not parse', () => {
    const result = composeSupergraph(
      [{ name: 'customers', routingUrl: 'http://127.0.0.1:4001/graphql', metricsPort: 9401, backend }],
      () => '{ "not": "sdl" }',
    );
    expect(result.errors?.[0]).toMatch(/^\[customers\] subgraphs\/customers\/schema\.graphql: Syntax Error/);
  });

  describe('breaking changes against the committed supergraph', () => {
    const committed = readFileSync(SUPERGRAPH_FILE, 'utf8');
    /** Composes with the customers subgraph's schema edited by `edit`. */
    const composeWithCustomers = (edit: (sdl: string) => string): string => {
      const result = composeSupergraph(readSubgraphList(), (entry) => (entry.name === 'customers' ? edit(readSchemaFile(entry)) : readSchemaFile(entry)));
      if (result.supergraphSdl === undefined) throw new Error(result.errors.join('\n'));
      return result.supergraphSdl;
    };

    it('finds none in the committed supergraph against itself, nor in an added field', () => {
      expect(breakingChanges(committed, committed)).toEqual([]);
      expect(
        breakingChanges(
          committed,
          composeWithCustomers((sdl) => sdl.replace('  tier: CustomerTier!', '  tier: CustomerTier!\n  nickname: String')),
        ),
      ).toEqual([]);
    });

    it('reports a removed field and a retyped field, naming type and field', () => {
      const removed = breakingChanges(
        committed,
        composeWithCustomers((sdl) => sdl.replace(/\n\s*"""\s*Phone number[^"]*"""\s*phone: String/, '')),
      );
      expect(removed).toEqual([expect.stringMatching(/^FIELD_REMOVED: Customer\.phone was removed/)]);
      const retyped = breakingChanges(
        committed,
        composeWithCustomers((sdl) => sdl.replace('  name: String!', '  name: Int!')),
      );
      expect(retyped).toEqual([expect.stringMatching(/^FIELD_CHANGED_KIND: Customer\.name changed type from String! to Int!/)]);
    });
  });
});
