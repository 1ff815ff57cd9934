import { settingVariables } from '../platform/env';
import { standInsOf, standInVariables, variablesOf, type SubgraphEntry } from '../schema/registry';
import { embeddedDatabaseSettings } from '../subgraphs/orders/payments/settings';

/** Every port variable `npm start` listens by: gateway, issuer, each subgraph, each stand-in and the embedded database. */
export const stackPortVariables = (registry: SubgraphEntry[]): string[] => [
  'GATEWAY_PORT',
  'IDP_PORT',
  ...registry.map((entry) => variablesOf(entry).port),
  ...registry.flatMap(standInsOf).map((standIn) => standInVariables(standIn).port),
  ...settingVariables(embeddedDatabaseSettings),
];

/** Every metrics port variable of the stack (0 lets each service pick a free one). */
export const stackMetricsVariables = (registry: SubgraphEntry[]): string[] => [
  'GATEWAY_METRICS_PORT',
  ...registry.map((entry) => variablesOf(entry).metricsPort),
];
