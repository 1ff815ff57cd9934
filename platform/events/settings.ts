import { z } from 'zod';
import { setting, type SettingsOf } from '../env';

/** A NATS server: nats:// (or tls:// for TLS from the first byte), host and port; credentials may sit in the URL. */
const natsUrlVar = () =>
  z
    .string()
    .refine((text) => URL.canParse(text) && ['nats:', 'tls:'].includes(new URL(text).protocol), 'must be a nats:// or tls:// URL')
    .optional();

/** The stream the relay publishes to when `NATS_STREAM` is unset. */
export const DEFAULT_STREAM = 'ATRIUM_EVENTS';

/**
 * How change events travel between processes. Without `NATS_URL`, every gateway process reads the event log in
 * PostgreSQL itself; with it, one relay publishes the log to a JetStream stream and gateways consume that.
 */
export const eventSettings = {
  natsUrl: setting('NATS_URL', natsUrlVar()),
  /** The JetStream stream; its subjects follow from its name (ATRIUM_EVENTS takes atrium.events.<type>). */
  natsStream: setting(
    'NATS_STREAM',
    z
      .string()
      .regex(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, 'must be upper-case words joined by underscores, such as ATRIUM_EVENTS')
      .default(DEFAULT_STREAM),
  ),
};

export type EventSettings = SettingsOf<typeof eventSettings>;
