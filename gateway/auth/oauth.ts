import { VerifiedTokens } from '../../platform/verified-tokens';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { effectiveScopes, isRole, type Identity, type Role } from '../../platform/identity';

/** How to read an issuer's access tokens; every issuer-specific quirk is a setting here, not code. */
export interface OAuthSettings {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** Accepted signing algorithms; anything else (including `none` and HMAC) is refused. */
  algorithms: string[];
  /** Claim compared with `audience`: `aud` (Auth0, Keycloak, Entra ID) or `client_id` (Cognito access tokens). */
  audienceClaim: string;
  /** When set, the `token_use` claim must equal it (Cognito: `access`, so ID tokens are refused). */
  tokenUse?: string;
  /** Claim holding the caller's id (the customer id for role `customer`). */
  subjectClaim: string;
  /** Claim holding roles: `roles`, `cognito:groups`, `realm_access.roles`, or a namespaced URL claim (Auth0). */
  rolesClaim: string;
  /** Claim holding scopes, space-separated (`scope`) or an array (`scp`); `scp` is read when this one is absent. */
  scopesClaim: string;
  /** Stripped from each scope (Cognito resource-server scopes arrive as `atrium/orders:read`). */
  scopePrefix: string;
  clockToleranceSeconds: number;
}

/** A credential was presented but cannot be accepted; `reason` is safe to tell the client, `kind` is for metrics. */
export class InvalidCredentialError extends Error {
  constructor(
    readonly reason: string,
    readonly kind: string = 'invalid',
  ) {
    super(reason);
  }
}

/** Reads a claim by its exact name first (namespaced claims contain dots), then as a dot path (`realm_access.roles`). */
function claim(payload: JWTPayload, name: string): unknown {
  if (name in payload) return payload[name];
  return name
    .split('.')
    .reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), payload);
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/** Why jose refused a token, in words a client may read (RFC 6750 `error_description`), and its kind for metrics. */
function refusal(error: unknown): InvalidCredentialError {
  if (error instanceof errors.JWTExpired) return new InvalidCredentialError('token has expired', 'expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return new InvalidCredentialError('token is not valid yet', 'not_yet_valid');
    if (error.claim === 'iss') return new InvalidCredentialError('token was issued by an untrusted issuer', 'issuer');
    if (error.claim === 'aud') return new InvalidCredentialError('token is meant for another audience', 'audience');
    return new InvalidCredentialError(`token claim "${error.claim}" is invalid`, 'claim');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new InvalidCredentialError('token signing algorithm is not accepted', 'algorithm');
  if (error instanceof errors.JWSSignatureVerificationFailed) return new InvalidCredentialError('token signature is invalid', 'signature');
  if (error instanceof errors.JWKSNoMatchingKey) return new InvalidCredentialError('token was signed with an unknown key', 'unknown_key');
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return new InvalidCredentialError('token is malformed', 'malformed');
  // The issuer's JWKS could not be fetched or read: not the caller's fault, but no token is accepted unverified.
  return new InvalidCredentialError('token could not be verified', 'unverifiable');
}

/**
 * Verifies OAuth 2.0 bearer tokens (JWT) against the issuer's JWKS and turns their claims into an Identity.
 * The JWKS is fetched once and cached; a token signed with an unknown `kid` triggers a refetch (key rotation).
 */
export class OAuthVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(
    private readonly settings: OAuthSettings,
    keys?: JWTVerifyGetKey,
  ) {
    this.keys = keys ?? createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
  }

  private readonly verified = new VerifiedTokens<Identity>((fresh) => this.verifyNow(fresh));

  /** The identity a token carries; a token already verified is answered from memory until it expires. */
  verify(token: string): Promise<Identity> {
    return this.verified.get(token);
  }

  private async verifyNow(token: string): Promise<{ value: Identity; expiresAt: number }> {
    const { settings } = this;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: settings.issuer,
        algorithms: settings.algorithms,
        clockTolerance: settings.clockToleranceSeconds,
        requiredClaims: ['exp', 'iss'],
        // `aud` is checked by jose; any other audience claim below.
        ...(settings.audienceClaim === 'aud' ? { audience: settings.audience } : {}),
      }));
    } catch (error) {
      throw refusal(error);
    }
    if (settings.audienceClaim !== 'aud' && claim(payload, settings.audienceClaim) !== settings.audience) {
      throw new InvalidCredentialError('token is meant for another audience', 'audience');
    }
    if (settings.tokenUse && payload.token_use !== settings.tokenUse)
      throw new InvalidCredentialError(`token is not an ${settings.tokenUse} token`, 'token_use');
    const subject = claim(payload, settings.subjectClaim);
    if (typeof subject !== 'string' || subject === '') throw new InvalidCredentialError(`token has no "${settings.subjectClaim}" claim`, 'claim');

    const clientId = [payload.client_id, payload.azp, payload.appid].find((value): value is string => typeof value === 'string');
    const role = this.roleOf(payload, subject, clientId);
    const carried = claim(payload, settings.scopesClaim) ?? payload.scp;
    const scopes = stringList(carried).map((scope) =>
      settings.scopePrefix && scope.startsWith(settings.scopePrefix) ? scope.slice(settings.scopePrefix.length) : scope,
    );
    return { value: { subject, clientId: clientId ?? subject, role, scopes: effectiveScopes(role, scopes), via: 'oauth' }, expiresAt: payload.exp as number };
  }

  /**
   * A token's one Atrium role. Client-credentials tokens carry no user and count as `service`: Auth0 marks them
   * `gty: client-credentials`, Entra ID `idtyp: app`, Cognito gives them `sub` equal to the client id.
   */
  private roleOf(payload: JWTPayload, subject: string, clientId: string | undefined): Role {
    const roles = [...new Set(stringList(claim(payload, this.settings.rolesClaim)).filter(isRole))];
    if (roles.length > 1) throw new InvalidCredentialError(`token carries conflicting roles (${roles.join(', ')})`, 'role');
    if (roles[0]) return roles[0];
    if (payload.gty === 'client-credentials' || payload.idtyp === 'app' || subject === clientId) return 'service';
    throw new InvalidCredentialError(`token has no Atrium role in "${this.settings.rolesClaim}"`, 'role');
  }
}
