import { runSubgraph } from '../kit/run-subgraph';
import { supportTicketsOverHelpdesk } from './server';

runSubgraph({
  name: 'support-tickets',
  port: { variable: 'SUPPORT_TICKETS_PORT', default: 4004 },
  metricsPort: { variable: 'SUPPORT_TICKETS_METRICS_PORT', default: 9404 },
  backendUrl: { variable: 'HELPDESK_URL', default: 'http://127.0.0.1:4104/helpdesk' },
  create: supportTicketsOverHelpdesk,
});
