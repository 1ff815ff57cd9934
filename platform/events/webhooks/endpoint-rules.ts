import { EVENT_TYPES, type EventType } from '../event-log';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const MAX_URL_LENGTH = 2_048;

/**
 * Why a partner's URL cannot be registered, or undefined when it can: HTTPS only, except plain HTTP to this machine
 * outside production (development and tests); no credentials in it (they would sit in the database and in listings).
 */
export function endpointUrlProblem(text: string, production: boolean): string | undefined {
  if (text.length > MAX_URL_LENGTH) return `--url must be at most ${MAX_URL_LENGTH} characters`;
  if (!URL.canParse(text)) return '--url must be an absolute URL, such as https://partner.example.com/atrium-webhooks';
  const url = new URL(text);
  if (url.username || url.password) return '--url must not carry a user name or password; the signature authenticates Atrium';
  if (url.hash) return '--url must not have a #fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && !production && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return production ? '--url must be https:// in production' : '--url must be https://, or http:// to localhost, 127.0.0.1 or [::1]';
}

/** The event types of a comma-separated list, each once; throws with the unknown ones named. */
export function parseEventTypes(text: string): EventType[] {
  const names = [
    ...new Set(
      text
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  ];
  if (names.length === 0) throw new Error(`--events must name at least one of ${EVENT_TYPES.join(', ')}`);
  const unknown = names.filter((name) => !(EVENT_TYPES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown event type(s): ${unknown.join(', ')} (known: ${EVENT_TYPES.join(', ')})`);
  return names as EventType[];
}
