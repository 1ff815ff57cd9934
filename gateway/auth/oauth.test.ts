import { createLocalJWKSet, createRemoteJWKSet, type JWTPayload } from 'jose';
import { signToken, startJwksServer, testKey, type TestKey } from '../../test/support/issuer';
import { InvalidCredentialError, OAuthVerifier, type OAuthSettings } from './oauth';

const now = () => Math.floor(Date.now() / 1000);
const base: OAuthSettings = {
  issuer: 'https://issuer.example',
  audience: 'atrium',
  jwksUrl: 'https://issuer.example/jwks',
  algorithms: ['RS256'],
  audienceClaim: 'aud',
  subjectClaim: 'sub',
  rolesClaim: 'roles',
  scopesClaim: 'scope',
  scopePrefix: '',
  clockToleranceSeconds: 5,
};

describe('OAuthVerifier', () => {
  let key: TestKey;
  let otherKey: TestKey;
  const verifier = (settings: Partial<OAuthSettings> = {}, keys: TestKey[] = [key]) =>
    new OAuthVerifier({ ...base, ...settings }, createLocalJWKSet({ keys: keys.map((k) => k.jwk) }));
  const claims = (extra: JWTPayload = {}): JWTPayload => ({
    iss: base.issuer,
    aud: 'atrium',
    sub: 'cust-7',
    exp: now() + 300,
    roles: ['customer'],
    scope: 'customers:read',
    ...extra,
  });
  const refusal = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidCredentialError);
    return (error as InvalidCredentialError).reason;
  };

  beforeAll(async () => {
    key = await testKey('k1');
    otherKey = await testKey('k2');
  });

  it('turns a valid token into an identity with the scopes its role allows', async () => {
    const identity = await verifier().verify(await signToken(key, claims({ scope: 'customers:read orders:read' })));
    expect(identity).toEqual({ subject: 'cust-7', clientId: 'cust-7', role: 'customer', scopes: ['customers:read', 'orders:read'], via: 'oauth' });
  });

  it('drops scopes an agent role may not use', async () => {
    const identity = await verifier().verify(await signToken(key, claims({ roles: ['agent'], scope: 'customers:read orders:write preferences:write' })));
    expect(identity.scopes).toEqual(['customers:read']);
  });

  it.each<[string, JWTPayload, RegExp]>([
    ['an expired token', { exp: now() - 60 }, /expired/],
    ['a token not valid yet', { nbf: now() + 600 }, /not valid yet/],
    ['a token from another issuer', { iss: 'https://evil.example' }, /untrusted issuer/],
    ['a token for another audience', { aud: 'billing' }, /another audience/],
    ['a token without a subject', { sub: undefined }, /no "sub" claim/],
    ['a token without exp', { exp: undefined }, /"exp"/],
    ['a token with no Atrium role', { roles: ['admin'] }, /no Atrium role/],
    ['a token with conflicting roles', { roles: ['customer', 'agent'] }, /conflicting roles/],
  ])('refuses %s', async (_name, extra, reason) => {
    expect(await refusal(verifier().verify(await signToken(key, claims(extra))))).toMatch(reason);
  });

  it('refuses alg: none', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims())}.`;
    expect(await refusal(verifier().verify(unsigned))).toMatch(/algorithm is not accepted|malformed/);
  });

  it('refuses a tampered token (payload changed after signing)', async () => {
    const [header, , signature] = (await signToken(key, claims())).split('.');
    const forged = Buffer.from(JSON.stringify(claims({ sub: 'cust-1', roles: ['agent'] }))).toString('base64url');
    expect(await refusal(verifier().verify(`${header}.${forged}.${signature}`))).toMatch(/signature is invalid/);
  });

  it('refuses a token signed with a key the issuer does not publish', async () => {
    expect(await refusal(verifier().verify(await signToken(otherKey, claims())))).toMatch(/unknown key/);
  });

  it('refuses an algorithm outside the pinned list', async () => {
    const es = await testKey('k3', 'ES256');
    expect(await refusal(verifier({}, [key, es]).verify(await signToken(es, claims())))).toMatch(/algorithm is not accepted/);
  });

  it('refuses garbage', async () => {
    expect(await refusal(verifier().verify('not-a-jwt'))).toMatch(/malformed/);
  });

  describe('issuer shapes', () => {
    it('Cognito: audience in client_id, token_use access, groups in cognito:groups, prefixed scopes', async () => {
      const cognito = verifier({ audienceClaim: 'client_id', tokenUse: 'access', rolesClaim: 'cognito:groups', scopePrefix: 'atrium/' });
      const token = await signToken(key, {
        iss: base.issuer,
        client_id: 'atrium',
        token_use: 'access',
        sub: 'cust-9',
        'cognito:groups': ['customer'],
        scope: 'atrium/customers:read atrium/orders:read',
        exp: now() + 300,
      });
      expect(await cognito.verify(token)).toMatchObject({ subject: 'cust-9', role: 'customer', scopes: ['customers:read', 'orders:read'] });
      const idToken = await signToken(key, {
        iss: base.issuer,
        client_id: 'atrium',
        token_use: 'id',
        sub: 'cust-9',
        'cognito:groups': ['customer'],
        exp: now() + 300,
      });
      expect(await refusal(cognito.verify(idToken))).toMatch(/not an access token/);
    });

    it('Cognito client credentials: sub equal to client_id makes a service', async () => {
      const cognito = verifier({ audienceClaim: 'client_id', tokenUse: 'access', rolesClaim: 'cognito:groups', scopePrefix: 'atrium/' });
      const token = await signToken(key, {
        iss: base.issuer,
        client_id: 'atrium',
        token_use: 'access',
        sub: 'atrium',
        scope: 'atrium/orders:read',
        exp: now() + 300,
      });
      expect(await cognito.verify(token)).toMatchObject({ role: 'service', clientId: 'atrium', scopes: ['orders:read'] });
    });

    it('Auth0: namespaced roles claim, machine-to-machine tokens with gty client-credentials', async () => {
      const auth0 = verifier({ rolesClaim: 'https://atrium.example/roles' });
      const user = await signToken(key, claims({ roles: undefined, 'https://atrium.example/roles': ['agent'], scope: 'customers:read pii:read', azp: 'spa' }));
      expect(await auth0.verify(user)).toMatchObject({ role: 'agent', clientId: 'spa', scopes: ['customers:read', 'pii:read'] });
      const machine = await signToken(key, claims({ roles: undefined, sub: 'm2m@clients', azp: 'm2m', gty: 'client-credentials', scope: 'orders:write' }));
      expect(await auth0.verify(machine)).toMatchObject({ role: 'service', clientId: 'm2m', scopes: ['orders:write'] });
    });

    it('Keycloak: roles under realm_access.roles', async () => {
      const keycloak = verifier({ rolesClaim: 'realm_access.roles' });
      const token = await signToken(key, claims({ roles: undefined, realm_access: { roles: ['offline_access', 'agent'] }, azp: 'atrium-web' }));
      expect(await keycloak.verify(token)).toMatchObject({ role: 'agent', clientId: 'atrium-web' });
    });

    it('Entra ID: scopes in scp, app tokens with idtyp app', async () => {
      const entra = verifier({ scopesClaim: 'scp' });
      const user = await signToken(key, claims({ scope: undefined, scp: 'customers:read tickets:read', roles: ['agent'] }));
      expect(await entra.verify(user)).toMatchObject({ role: 'agent', scopes: ['customers:read', 'tickets:read'] });
      const app = await signToken(
        key,
        claims({ scope: undefined, roles: ['orders:read'], scp: ['orders:read'], idtyp: 'app', appid: 'erp-sync', sub: 'sp-1' }),
      );
      expect(await entra.verify(app)).toMatchObject({ role: 'service', clientId: 'erp-sync', scopes: ['orders:read'] });
    });
  });

  it('fetches the JWKS once and again when a token names a key it has not seen (rotation)', async () => {
    const jwks = await startJwksServer([key]);
    try {
      const remote = new OAuthVerifier({ ...base, jwksUrl: jwks.url }, createRemoteJWKSet(new URL(jwks.url), { cooldownDuration: 0 }));
      await remote.verify(await signToken(key, claims()));
      await remote.verify(await signToken(key, claims()));
      expect(jwks.fetches()).toBe(1);
      jwks.rotate([key, otherKey]);
      await expect(remote.verify(await signToken(otherKey, claims()))).resolves.toMatchObject({ subject: 'cust-7' });
      expect(jwks.fetches()).toBe(2);
    } finally {
      await jwks.stop();
    }
  });
});
