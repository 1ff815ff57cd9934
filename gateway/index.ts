import { withMetrics } from '../platform/metrics';
import { runService } from '../platform/run';
import { readGatewayConfig } from './config';
import { startGateway } from './server';

runService('gateway', async (log) => {
  const config = readGatewayConfig();
  return withMetrics(await startGateway(config, log), config.metricsPort, config.host);
});
