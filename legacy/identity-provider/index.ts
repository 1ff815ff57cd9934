import { z } from 'zod';
import { ConfigError, hostVar, isProduction, portVar, readEnv, urlVar } from '../../platform/env';
import { runService } from '../../platform/run';
import { startIdentityProvider } from './server';

runService('identity-provider', async () => {
  // It signs whatever identity it is asked for: a production deployment uses the company's real issuer instead.
  if (isProduction()) throw new ConfigError('invalid configuration:\n  NODE_ENV: the development identity provider never runs in production');
  const config = readEnv({ HOST: hostVar(), IDP_PORT: portVar(4100), OAUTH_AUDIENCE: z.string().min(1).default('atrium') });
  const { OAUTH_ISSUER: issuer } = readEnv({ OAUTH_ISSUER: urlVar(`http://127.0.0.1:${config.IDP_PORT}`) });
  const provider = await startIdentityProvider({ port: config.IDP_PORT, host: config.HOST, audience: config.OAUTH_AUDIENCE, issuer });
  return { url: provider.issuer, stop: provider.stop };
});
