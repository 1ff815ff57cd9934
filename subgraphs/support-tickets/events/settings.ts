import { z } from 'zod';
import { databaseUrlSetting } from '../../../platform/database';
import { ConfigError, isProduction, readSettings, setting, type SettingsOf } from '../../../platform/env';
import { DEVELOPMENT_HELPDESK_SECRET } from '../../../platform/webhook-signature';

/** What the support-tickets subgraph's webhook receiver reads, once, at start-up. */
export const ticketEventSettings = {
  /** The shared event log. */
  databaseUrl: databaseUrlSetting,
  /** The secret the helpdesk signs its webhooks with; outside production the stand-in's development one. */
  webhookSecret: setting('HELPDESK_WEBHOOK_SECRET', z.string().min(32, 'must be at least 32 characters').default(DEVELOPMENT_HELPDESK_SECRET)),
};

export type TicketEventSettings = SettingsOf<typeof ticketEventSettings>;

/** Reads the settings; in production the development secret is refused, since anyone could sign with it. */
export function readTicketEventSettings(env: NodeJS.ProcessEnv): TicketEventSettings {
  const settings = readSettings(ticketEventSettings, env);
  if (isProduction(env) && settings.webhookSecret === DEVELOPMENT_HELPDESK_SECRET) {
    throw new ConfigError("invalid configuration:\n  HELPDESK_WEBHOOK_SECRET: must be set to the helpdesk's own signing secret in production");
  }
  return settings;
}
