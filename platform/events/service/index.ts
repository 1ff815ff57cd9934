import { withMetrics } from '../../metrics';
import { runService } from '../../run';
import { readEventsServiceSettings } from '../webhooks/settings';
import { startEventsService } from './server';

runService('events', async (log) => {
  const settings = readEventsServiceSettings();
  return withMetrics(await startEventsService(settings, log), settings.metricsPort, settings.host);
});
