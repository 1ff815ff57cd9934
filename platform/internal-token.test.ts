import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { InternalTokenSigner, signInternalToken, verifyInternalToken } from './internal-token';
import type { Identity } from './identity';

describe('internal tokens', () => {
  const customer: Identity = { subject: 'cust-1', clientId: 'web', role: 'customer', scopes: ['customers:read', 'orders:read'], via: 'oauth' };

  it('carry the identity from the gateway to the subgraphs', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'g1' }] });
    expect(await verifyInternalToken(await signInternalToken(customer, { privateKey, kid: 'g1' }), keys)).toEqual(customer);
  });

  it('are refused when signed by another key or lacking identity claims', async () => {
    const gateway = await generateKeyPair('ES256');
    const other = await generateKeyPair('ES256');
    const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(gateway.publicKey)), kid: 'g1' }] });
    await expect(verifyInternalToken(await signInternalToken(customer, { privateKey: other.privateKey, kid: 'g1' }), keys)).rejects.toThrow();
    const bare = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'g1' })
      .setIssuer('atrium-gateway')
      .setAudience('atrium-subgraphs')
      .setSubject('x')
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(gateway.privateKey);
    await expect(verifyInternalToken(bare, keys)).rejects.toThrow(/lacks role/);
  });

  it('are signed once per caller and handed out again for half their life', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'g1' }] });
    const signer = new InternalTokenSigner({ privateKey, kid: 'g1' });
    const first = await signer.tokenFor(customer);
    expect(await signer.tokenFor({ ...customer })).toBe(first);
    const other = await signer.tokenFor({ ...customer, scopes: ['customers:read'] });
    expect(other).not.toBe(first);
    expect(await verifyInternalToken(other, keys)).toEqual({ ...customer, scopes: ['customers:read'] });
    jest.useFakeTimers({ now: Date.now() + 31_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      expect(await signer.tokenFor(customer)).not.toBe(first);
    } finally {
      jest.useRealTimers();
    }
  });
});
