import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { repoRoot } from '../platform/paths';
import { breakingChanges, composeSupergraph, SUPERGRAPH_FILE } from './composition';

/**
 * `npm run compose` writes schema/supergraph.graphql from the subgraphs listed in schema/subgraphs.json, refusing a
 * result that would break clients of the committed one unless `--allow-breaking` is given.
 * `npm run compose:check` (`compose -- --check`) writes nothing: it fails when composition fails, when the subgraphs'
 * schemas break clients of the committed supergraph, or when the committed file is stale.
 */
function main(check: boolean, allowBreaking: boolean): number {
  const result = composeSupergraph();
  if (result.errors) {
    process.stderr.write(`composition failed:\n${result.errors.map((e) => `  - ${e}`).join('\n')}\n`);
    return 1;
  }
  const target = relative(repoRoot, SUPERGRAPH_FILE);
  let committed = '';
  try {
    committed = readFileSync(SUPERGRAPH_FILE, 'utf8');
  } catch {
    // No committed supergraph yet: nothing to break, and stale.
  }
  const breaking = committed && !allowBreaking ? breakingChanges(committed, result.supergraphSdl) : [];
  if (breaking.length > 0) {
    process.stderr.write(
      `the subgraphs' schemas break clients of ${target}:\n${breaking.map((change) => `  - ${change}`).join('\n')}\n` +
        'keep the old fields (deprecate them first), or run `npm run compose -- --allow-breaking` once clients have moved\n',
    );
    return 1;
  }
  if (check) {
    if (committed !== result.supergraphSdl) {
      process.stderr.write(`${target} is stale: run \`npm run compose\` and commit the result\n`);
      return 1;
    }
    process.stdout.write(`${target} is up to date\n`);
    return 0;
  }
  writeFileSync(SUPERGRAPH_FILE, result.supergraphSdl);
  process.stdout.write(`wrote ${target}\n`);
  return 0;
}

process.exitCode = main(process.argv.includes('--check'), process.argv.includes('--allow-breaking'));
