import { ConfigError, readSettings, settingDefaults } from '../env';
import { eventSettings } from './settings';

describe('event settings', () => {
  it('leave NATS off and name the stream ATRIUM_EVENTS by default', () => {
    expect(settingDefaults(eventSettings)).toEqual({ natsUrl: undefined, natsStream: 'ATRIUM_EVENTS' });
  });

  it('take a nats:// or tls:// URL and a stream name', () => {
    expect(readSettings(eventSettings, { NATS_URL: 'nats://127.0.0.1:4222', NATS_STREAM: 'EVENTS_2' })).toEqual({
      natsUrl: 'nats://127.0.0.1:4222',
      natsStream: 'EVENTS_2',
    });
    expect(readSettings(eventSettings, { NATS_URL: 'tls://user:secret@nats.internal:4222' }).natsUrl).toBe('tls://user:secret@nats.internal:4222');
  });

  it('refuse anything else, naming the variable and never echoing the value', () => {
    const read = (env: NodeJS.ProcessEnv) => () => readSettings(eventSettings, env);
    expect(read({ NATS_URL: 'http://user:secret@127.0.0.1:4222' })).toThrow(ConfigError);
    expect(read({ NATS_URL: 'http://user:secret@127.0.0.1:4222' })).toThrow(/NATS_URL: must be a nats:\/\/ or tls:\/\/ URL/);
    expect(read({ NATS_URL: 'http://user:secret@127.0.0.1:4222' })).not.toThrow(/secret/);
    expect(read({ NATS_URL: '127.0.0.1:4222' })).toThrow(/NATS_URL/);
    expect(read({ NATS_STREAM: 'atrium.events' })).toThrow(/NATS_STREAM: must be upper-case words joined by underscores/);
    expect(read({ NATS_STREAM: 'A__B' })).toThrow(/NATS_STREAM/);
  });
});
