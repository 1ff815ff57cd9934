import { runSubgraph } from '../kit/run-subgraph';
import { customersOverCrm } from './server';

runSubgraph({
  name: 'customers',
  port: { variable: 'CUSTOMERS_PORT', default: 4001 },
  metricsPort: { variable: 'CUSTOMERS_METRICS_PORT', default: 9401 },
  backendUrl: { variable: 'CRM_URL', default: 'http://127.0.0.1:4101' },
  create: customersOverCrm,
});
