import { ConfigError, isProduction, readSettings } from '../platform/env';
import { webhookCommandSettings } from '../platform/events/webhooks/settings';
import { finish } from './cli';
import { webhooksCommand } from './webhooks-command';

/** Exits 2 on a bad setting (the message names it), 1 when the work fails (the database is unreachable, say). */
const fail = (error: unknown): never => {
  process.stderr.write(`webhooks: ${(error as Error).message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
};

try {
  const settings = readSettings(webhookCommandSettings);
  void webhooksCommand(process.argv.slice(2), { ...settings, production: isProduction() }).then(finish, fail);
} catch (error) {
  fail(error);
}
