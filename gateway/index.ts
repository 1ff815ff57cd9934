import cluster from 'node:cluster';
import { withMetrics } from '../platform/metrics';
import { runService } from '../platform/run';
import { readGatewayConfig } from './config';
import { startGateway } from './server';
import { reportMetricsToPrimary, startWorkers } from './workers';

runService('gateway', async (log) => {
  const config = readGatewayConfig();
  if (config.workers > 1 && cluster.isPrimary) return startWorkers(config, log);
  const gateway = await startGateway(config, log);
  if (!cluster.isWorker) return withMetrics(gateway, config.metricsPort, config.host);
  // A worker's metrics are read by the primary, which serves them summed.
  reportMetricsToPrimary();
  return gateway;
});
