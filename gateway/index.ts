import { runService } from '../platform/run';
import { readGatewayConfig } from './config';
import { startGateway } from './server';

runService('gateway', (log) => startGateway(readGatewayConfig(), log));
