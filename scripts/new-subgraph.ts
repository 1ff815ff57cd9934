import { repoRoot } from '../platform/paths';
import { finish } from './cli';
import { newSubgraphCommand } from './new-subgraph-command';

void newSubgraphCommand(process.argv.slice(2), repoRoot).then(finish, (error: unknown) => {
  process.stderr.write(`subgraph:new: ${(error as Error).message}\nnothing was changed\n`);
  process.exitCode = 1;
});
