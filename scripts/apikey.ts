import { join } from 'node:path';
import { repoRoot } from '../platform/paths';
import { apiKeyCommand } from './apikey-command';
import { finish } from './cli';

void apiKeyCommand(process.argv.slice(2), process.env.API_KEYS_FILE ?? join(repoRoot, '.atrium', 'api-keys.json')).then(finish);
