import { settingVariables } from '../platform/env';
import { eventsServiceSettings } from '../platform/events/webhooks/settings';
import { standInsOf, standInVariables, variablesOf, type SubgraphEntry } from '../schema/registry';
import { embeddedDatabaseSettings } from '../subgraphs/orders/payments/settings';

/** Every port variable `npm start` listens by: gateway, issuer, events, each subgraph, each stand-in and the embedded database. */
export const stackPortVariables = (registry: SubgraphEntry[]): string[] => [
  'GATEWAY_PORT',
  'IDP_PORT',
  eventsServiceSettings.port.variable,
  ...registry.map((entry) => variablesOf(entry).port),
  ...registry.flatMap(standInsOf).map((standIn) => standInVariables(standIn).port),
  ...settingVariables(embeddedDatabaseSettings),
];

/** Every metrics port variable of the stack (0 lets each service pick a free one). */
export const stackMetricsVariables = (registry: SubgraphEntry[]): string[] => [
  'GATEWAY_METRICS_PORT',
  eventsServiceSettings.metricsPort.variable,
  ...registry.map((entry) => variablesOf(entry).metricsPort),
];
