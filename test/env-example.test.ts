import { readFileSync } from 'node:fs';
import { repoRoot } from '../platform/paths';
import { readSubgraphList } from '../schema/registry';
import { envExampleFile, withServiceVariables } from '../scripts/env-example';
import { resilienceSettings } from '../subgraphs/kit/resilience';
import { subgraphSettings } from '../subgraphs/kit/settings';
import { settingDefaults } from '../platform/env';
import { paymentSettings } from '../subgraphs/orders/payments/settings';
import { erpSettings } from '../legacy/erp/fulfilment';
import { changeFeedSettings } from '../subgraphs/orders/change-feed';
import { eventsServiceSettings, webhookCommandSettings } from '../platform/events/webhooks/settings';
import { eventSettings } from '../platform/events/settings';

const text = readFileSync(envExampleFile(repoRoot), 'utf8');
/** `# NAME=value` lines: what .env.example documents, as a reader would copy it. */
const documented = new Map([...text.matchAll(/^# ([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((match) => [match[1] as string, match[2] as string]));

describe('.env.example', () => {
  it("documents every subgraph's and backend's variables with the registry's defaults (npm run subgraph:new keeps it so)", () => {
    expect(text).toBe(withServiceVariables(text, readSubgraphList()));
  });

  it('shows the declared default of every subgraph backend setting', () => {
    const { connections, requestDeadlineMs, entityCache } = subgraphSettings;
    const settings = { ...resilienceSettings, connections, requestDeadlineMs, entityCache };
    const defaults: Record<string, unknown> = settingDefaults(settings);
    for (const [key, setting] of Object.entries(settings)) {
      const value = defaults[key];
      expect({ variable: setting.variable, value: documented.get(setting.variable) }).toEqual({
        variable: setting.variable,
        value: typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value),
      });
    }
  });

  it('shows the declared default of every payment workflow setting', () => {
    const { faultPoint: _testOnly, ...settings } = paymentSettings;
    const durations: Record<string, string> = { reconcileEveryMs: '1m', pendingDeadlineMs: '15m' };
    const defaults: Record<string, unknown> = settingDefaults(settings);
    for (const [key, setting] of Object.entries(settings)) {
      expect({ variable: setting.variable, value: documented.get(setting.variable) }).toEqual({
        variable: setting.variable,
        value: durations[key] ?? String(defaults[key]),
      });
    }
    expect(settingDefaults(settings).reconcileEveryMs).toBe(60_000);
  });

  it("shows the ERP stand-in's fulfilment pace and its default", () => {
    expect(documented.get(erpSettings.fulfilmentPaceMs.variable)).toBe('2m');
    expect(settingDefaults(erpSettings).fulfilmentPaceMs).toBe(120_000);
  });

  it("shows how often the orders subgraph reads the ERP's change feed", () => {
    expect(documented.get(changeFeedSettings.pollMs.variable)).toBe(String(settingDefaults(changeFeedSettings).pollMs));
  });

  it('shows the declared default of every events service and webhook setting', () => {
    const { host: _shared, databaseUrl: _sharedToo, events: _nats, delivery, ...service } = eventsServiceSettings;
    const settings = { ...service, ...delivery, maxEndpoints: webhookCommandSettings.maxEndpoints };
    const defaults: Record<string, unknown> = settingDefaults(settings);
    for (const [key, setting] of Object.entries(settings)) {
      expect({ variable: setting.variable, value: documented.get(setting.variable) }).toEqual({ variable: setting.variable, value: String(defaults[key]) });
    }
  });

  it('documents the event settings: NATS_URL with the machine-local NATS as its example, and the default stream', () => {
    expect(documented.get(eventSettings.natsUrl.variable)).toBe('nats://127.0.0.1:4222');
    expect(documented.get(eventSettings.natsStream.variable)).toBe(settingDefaults(eventSettings).natsStream);
  });
});
