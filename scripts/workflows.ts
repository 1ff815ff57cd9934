import { readSettings } from '../platform/env';
import { paymentSettings } from '../subgraphs/orders/payments/settings';
import { finish } from './cli';
import { workflowsCommand } from './workflows-command';

const { databaseUrl } = readSettings({ databaseUrl: paymentSettings.databaseUrl });
void workflowsCommand(process.argv.slice(2), databaseUrl).then(finish);
