import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, settingVariables } from '../platform/env';
import { DEFAULT_MAX_INFLIGHT } from '../platform/overload';
import { repoRoot } from '../platform/paths';
import { GATEWAY_SETTINGS, readGatewayConfig } from './config';

describe('the gateway configuration', () => {
  it('reads each declared setting into its place, defaults included', () => {
    const config = readGatewayConfig({ MAX_INFLIGHT: '8', RATE_LIMIT_RATE: '5', MAX_DEPTH: '7', TLS_CERT: 'c.pem', TLS_KEY: 'k.pem' });
    expect(config).toMatchObject({ maxInFlight: 8, port: 4000, defaultPlan: { ratePerSecond: 5, burst: 40 }, limits: { maxDepth: 7, maxCost: 20_000 } });
    expect(config.listenerTls).toEqual({ cert: 'c.pem', key: 'k.pem' });
    expect(config.oauth).toBeUndefined();
    expect(readGatewayConfig({}).maxInFlight).toBe(DEFAULT_MAX_INFLIGHT.gateway);
  });

  it.each(['0', '-3', 'many', '1.5'])('refuses MAX_INFLIGHT=%s, naming the variable', (value) => {
    expect(() => readGatewayConfig({ MAX_INFLIGHT: value })).toThrow(ConfigError);
    expect(() => readGatewayConfig({ MAX_INFLIGHT: value })).toThrow(/MAX_INFLIGHT: must be a whole number from 1 to/);
  });

  it('resolves OAuth only when issuer, audience and JWKS URL are set together', () => {
    const oauth = { OAUTH_ISSUER: 'https://id.example.com/', OAUTH_AUDIENCE: 'atrium', OAUTH_JWKS_URL: 'https://id.example.com/jwks' };
    expect(readGatewayConfig(oauth).oauth).toMatchObject({ issuer: 'https://id.example.com/', audienceClaim: 'aud', algorithms: ['RS256'] });
    expect(() => readGatewayConfig({ OAUTH_ISSUER: oauth.OAUTH_ISSUER })).toThrow(/OAUTH_ISSUER: set OAUTH_ISSUER, OAUTH_AUDIENCE and OAUTH_JWKS_URL together/);
  });

  it('documents every declared variable in the README', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Errors'));
    expect(settingVariables(GATEWAY_SETTINGS).filter((variable) => !table.includes(`\`${variable}\``))).toEqual([]);
  });
});
