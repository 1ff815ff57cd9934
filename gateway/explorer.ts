import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { ApolloServerPlugin } from '@apollo/server';
import { DevelopmentTokenError, requestDevelopmentToken } from '../platform/development-token';
import type { Logger } from '../platform/log';
import { repoRoot } from '../platform/paths';

/** The options of `renderGraphiQL` the explorer sets. */
interface GraphiQLOptions {
  title: string;
  endpoint: string;
  defaultQuery?: string;
  /** The variables editor's initial text (JSON). */
  variables?: string;
  /** The headers editor's initial text (JSON). */
  headers: string;
  shouldPersistHeaders: boolean;
  /** Tabs open on first view; the first is `defaultQuery`'s. */
  defaultTabs?: { query: string; variables?: string }[];
  /** How subscriptions run; GRAPHQL_SSE posts them to `subscriptionsEndpoint` with the headers editor's headers. */
  subscriptionsProtocol?: 'GRAPHQL_SSE' | 'WS';
  subscriptionsEndpoint?: string;
}
// Loaded untyped: the package's typings import `graphql-yoga`, whose global GraphQLError augmentation (`http.headers`
// as a plain object) contradicts Apollo Server's (a HeaderMap) and would break type-checking everywhere.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { renderGraphiQL } = require('@graphql-yoga/render-graphiql') as { renderGraphiQL(options: GraphiQLOptions): string };

/** `graphiql`: served from the installed packages, works offline. `sandbox`: Apollo's hosted Sandbox (needs the internet). */
export type ExplorerKind = 'graphiql' | 'sandbox' | 'off';

export interface ExplorerSettings {
  kind: ExplorerKind;
  /** Development only: the token endpoint of the embedded identity provider, to pre-fill a token in the headers. */
  tokenUrl?: string;
}

/** The identity of the pre-filled token: the customer of the default Profile query, with only what it needs to read. */
const EXPLORER_IDENTITY = { sub: 'cust-1', role: 'customer', scopes: 'customers:read pii:read orders:read preferences:read tickets:read' };
const DEFAULT_VARIABLES = { id: EXPLORER_IDENTITY.sub };
const PROFILE_OPERATION = join(repoRoot, 'examples', 'operations', 'profile.graphql');
/** The second tab: a subscription, for trying real-time updates. */
const ORDER_UPDATES_OPERATION = join(repoRoot, 'examples', 'operations', 'order-updates.graphql');
const SUBSCRIPTION_VARIABLES = { customerId: EXPLORER_IDENTITY.sub };

/**
 * The page is self-contained: every script, style and worker is inline or a blob, and the policy forbids loading
 * anything from elsewhere, so it works on a network without internet access and cannot leak queries to a third party.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

function readOperation(path: string, log: Logger): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    log.warn({ err: error, path }, 'explorer: no default document');
    return undefined;
  }
}

const wantsHtml = (req: IncomingMessage) => req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');

/**
 * The in-browser GraphQL explorer at `/` and, for browsers, at `/graphql`. GraphiQL is rendered once from
 * `@graphql-yoga/render-graphiql`; per page view only the pre-filled development token changes.
 */
export class Explorer {
  private readonly document: string | undefined;
  private readonly subscription: string | undefined;
  private page?: { before: string; after: string };

  constructor(
    private readonly settings: ExplorerSettings,
    private readonly log: Logger,
  ) {
    this.document = settings.kind === 'off' ? undefined : readOperation(PROFILE_OPERATION, log);
    this.subscription = settings.kind === 'off' ? undefined : readOperation(ORDER_UPDATES_OPERATION, log);
  }

  /** Apollo's landing page: its Sandbox when chosen, otherwise none (GraphiQL is served by `intercept`). */
  plugin(): ApolloServerPlugin {
    if (this.settings.kind !== 'sandbox') return ApolloServerPluginLandingPageDisabled();
    return ApolloServerPluginLandingPageLocalDefault({ embed: true, document: this.document, variables: DEFAULT_VARIABLES, includeCookies: false });
  }

  /** Answers a browser's page request and returns true, or returns false to let the request through. */
  async intercept(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (this.settings.kind === 'off' || !wantsHtml(req)) return false;
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    if (path === '/' && this.settings.kind === 'sandbox') {
      res.writeHead(302, { location: '/graphql' }).end();
      return true;
    }
    if (this.settings.kind !== 'graphiql' || (path !== '/' && path !== '/graphql')) return false;
    const headers = await this.developmentHeaders();
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(this.render(headers));
    return true;
  }

  private render(headers: Record<string, string>): string {
    // The options are the page's last JSON literal; everything before and after them is the same on every view.
    const marker = '__ATRIUM_EXPLORER_HEADERS__';
    this.page ??= (() => {
      const html = renderGraphiQL({
        title: 'Atrium GraphQL explorer',
        endpoint: '/graphql',
        defaultQuery: this.document,
        variables: this.document ? JSON.stringify(DEFAULT_VARIABLES, null, 2) : undefined,
        headers: marker,
        shouldPersistHeaders: false,
        defaultTabs: [
          ...(this.document ? [{ query: this.document, variables: JSON.stringify(DEFAULT_VARIABLES, null, 2) }] : []),
          ...(this.subscription ? [{ query: this.subscription, variables: JSON.stringify(SUBSCRIPTION_VARIABLES, null, 2) }] : []),
        ],
        // GraphQL over SSE rather than graphql-ws: over HTTP, a subscription carries the headers editor's token as a query does.
        subscriptionsProtocol: 'GRAPHQL_SSE',
        subscriptionsEndpoint: '/graphql',
      });
      const literal = JSON.stringify(marker);
      const at = html.lastIndexOf(literal);
      return { before: html.slice(0, at), after: html.slice(at + literal.length) };
    })();
    // The headers editor takes a JSON text; it is embedded in the page as a JSON string literal, with `<` escaped.
    const value = JSON.stringify(JSON.stringify(headers, null, 2)).replace(/</g, '\\u003c');
    return `${this.page.before}${value}${this.page.after}`;
  }

  private async developmentHeaders(): Promise<Record<string, string>> {
    if (!this.settings.tokenUrl) return {};
    try {
      return { authorization: `Bearer ${await requestDevelopmentToken(this.settings.tokenUrl, { clientId: 'atrium-explorer', ...EXPLORER_IDENTITY })}` };
    } catch (error) {
      if (!(error instanceof DevelopmentTokenError)) throw error;
      this.log.warn({ reason: error.message }, 'explorer: no development token to pre-fill');
      return {};
    }
  }
}
