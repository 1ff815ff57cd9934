import { runSubgraph } from '../kit/run-subgraph';
import { ordersOverErp } from './server';

runSubgraph({
  name: 'orders',
  port: { variable: 'ORDERS_PORT', default: 4002 },
  metricsPort: { variable: 'ORDERS_METRICS_PORT', default: 9402 },
  backendUrl: { variable: 'ERP_URL', default: 'http://127.0.0.1:4103/erp' },
  create: ordersOverErp,
});
