import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { repoRoot } from '../platform/paths';
import { breakingChanges, composeSupergraph, SUPERGRAPH_FILE } from './composition';
import { readSubgraphList, type SubgraphEntry } from './registry';

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
    const dir = mkdtempSync(join(tmpdir(), 'atrium-compose-'));
    try {
      const broken = join(dir, 'schema.graphql');
      writeFileSync(
        broken,
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n' + 'type Customer @key(fields: "id") { id: ID! name: Int }\n',
      );
      const entries = [
        ...readSubgraphList(),
        { name: 'disagreeing', routingUrl: 'http://127.0.0.1:4999/graphql', schema: relative(repoRoot, broken), backend },
      ];
      const result = composeSupergraph(entries);
      expect(result.supergraphSdl).toBeUndefined();
      expect(result.errors?.join('\n')).toMatch(/Customer\.name/);
      expect(result.errors?.join('\n')).toMatch(/"disagreeing"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the subgraph whose schema file does not parse', () => {
    const result = composeSupergraph([{ name: 'customers', routingUrl: 'http://127.0.0.1:4001/graphql', schema: 'package.json', backend }]);
    expect(result.errors?.[0]).toMatch(/^\[customers\] package\.json: Syntax Error/);
  });

  describe('breaking changes against the committed supergraph', () => {
    const committed = readFileSync(SUPERGRAPH_FILE, 'utf8');
    /** Composes with the customers subgraph's schema edited by `edit`. */
    const composeWithCustomers = (edit: (sdl: string) => string): string => {
      const dir = mkdtempSync(join(tmpdir(), 'atrium-breaking-'));
      try {
        const entries: SubgraphEntry[] = readSubgraphList().map((entry) => {
          if (entry.name !== 'customers') return entry;
          const file = join(dir, 'schema.graphql');
          writeFileSync(file, edit(readFileSync(join(repoRoot, entry.schema), 'utf8')));
          return { ...entry, schema: relative(repoRoot, file) };
        });
        const result = composeSupergraph(entries);
        if (result.supergraphSdl === undefined) throw new Error(result.errors.join('\n'));
        return result.supergraphSdl;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
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
