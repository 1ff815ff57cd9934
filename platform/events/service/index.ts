import { readSettings } from '../../env';
import { withMetrics } from '../../metrics';
import { runService } from '../../run';
import { eventsServiceSettings } from '../webhooks/settings';
import { startEventsService } from './server';

runService('events', async (log) => {
  const settings = readSettings(eventsServiceSettings);
  return withMetrics(await startEventsService(settings, log), settings.metricsPort, settings.host);
});
