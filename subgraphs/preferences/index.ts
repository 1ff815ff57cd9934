import { runSubgraph } from '../kit/run-subgraph';
import { preferencesOverStore } from './server';

runSubgraph({
  name: 'preferences',
  port: { variable: 'PREFERENCES_PORT', default: 4003 },
  metricsPort: { variable: 'PREFERENCES_METRICS_PORT', default: 9403 },
  backendUrl: { variable: 'PREFERENCE_SERVICE_URL', default: 'http://127.0.0.1:4102' },
  create: preferencesOverStore,
});
