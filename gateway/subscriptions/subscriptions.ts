import { createHash } from 'node:crypto';
import type { ApolloServer } from '@apollo/server';
import { Gauge, Counter } from 'prom-client';
import {
  GraphQLError,
  parse,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type ValidationRule,
} from 'graphql';
import type { EventLog } from '../../platform/events/event-log';
import type { EventFeed } from '../../platform/events/event-feed';
import { identityKey } from '../../platform/identity';
import type { Logger } from '../../platform/log';
import type { Caller } from '../auth/authenticate';
import type { GatewayContext } from '../context';
import { eventFieldsOf, type EventField } from './event-fields';
import { EventStream, StreamEnded, type EventStreamOptions } from './event-stream';
import { KEY_VARIABLE, matches, planSubscription, unwrap, type SubscriptionPlan } from './plan';

const metrics = {
  open: new Gauge({ name: 'atrium_gateway_subscriptions', help: 'Subscriptions open on this gateway, by transport.', labelNames: ['transport'] as const }),
  events: new Counter({
    name: 'atrium_gateway_subscription_events_total',
    help: 'Events for subscribers, by outcome: delivered, withheld (the subscriber may not read the entity, or it is gone), failed (delivered with errors).',
    labelNames: ['outcome'] as const,
  }),
  ended: new Counter({
    name: 'atrium_gateway_subscriptions_ended_total',
    help: 'Subscriptions the gateway ended, by reason (SLOW_CONSUMER, TOKEN_EXPIRED, RESUME_WINDOW_EXCEEDED, SHUTTING_DOWN).',
    labelNames: ['reason'] as const,
  }),
};

export interface SubscriptionSettings extends EventStreamOptions {
  /** Subscriptions one caller may hold open on one gateway process. */
  perClient: number;
}

/** The transport a subscription is served over: its name (a metric label), and what it does when the gateway ends a stream. */
export interface Transport {
  name: 'websocket' | 'sse';
  /**
   * Called at once when the gateway ends the stream (a slow reader, an expired token, shutdown), before the subscriber
   * reads the last result: a client that stopped reading would never read it.
   */
  ended(reason: StreamEnded): void;
}

/** A subscription as a transport serves it: the document to report, and the results, which end in a StreamEnded when the gateway ends them. */
export interface OpenSubscription {
  schema: GraphQLSchema;
  document: DocumentNode;
  results: AsyncGenerator<ExecutionResult>;
  /**
   * Ends the subscription when the subscriber goes away: the results' own `return()` waits for the next event, which
   * may never come, so transports call this when the connection closes or the client completes the operation.
   */
  close(): void;
}

export interface SubscriptionRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  /** The last event id the subscriber saw: what they missed since is sent first. */
  lastEventId?: string;
}

const LAST_EVENT_ID = /^\d{1,18}$/;

const refusal = (message: string, code: string) => [new GraphQLError(message, { extensions: { code } })];

/** Events a subscriber's stream hands over at once, and entities read for them at once. */
const BATCH = 100;
const READS_AT_ONCE = 4;

/** An entity as a subscriber's answer; undefined when it is withheld. */
type Answer = Omit<ExecutionResult, 'extensions'> | undefined;

/** Error codes that mean the subscriber may not read an event's entity: the event is withheld, not reported. */
const WITHHELD = new Set(['FORBIDDEN', 'NOT_FOUND']);

/**
 * The gateway's subscriptions, for every transport: each one checked like a query, authorized by its field's
 * `authorize` query with the subscriber's credentials, then fed from the event log; each event is read through the
 * supergraph (the field's lookup with the subscriber's selection) with the subscriber's credentials again, so field
 * rules apply to every event, and an event whose entity they may not read is withheld.
 */
export class Subscriptions {
  private schema: GraphQLSchema | undefined;
  private fields = new Map<string, EventField>();
  private readonly streams = new Set<EventStream>();
  private readonly byClient = new Map<string, number>();
  /** The event log and its live feed, once reached: until then subscriptions are refused (NOT_READY), queries unaffected. */
  private events: { log: EventLog; stopFeed: () => void } | undefined;

  constructor(
    private readonly deps: {
      apollo: Pick<ApolloServer<GatewayContext>, 'executeOperation'>;
      contextFor(caller: Caller): GatewayContext;
      parseOptions: ParseOptions;
      validationRules: readonly ValidationRule[];
      /** Refuses (throws) an event query a subscriber could not send as a query: its cost. */
      checkCost(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): unknown;
      /** Trusted documents only: the hashes of the documents served. */
      trusted?: ReadonlyMap<string, string>;
      settings: SubscriptionSettings;
      logger: Logger;
    },
  ) {}

  /** Serves subscriptions from this log, live events from this (started) feed. */
  follow(log: EventLog, feed: EventFeed): void {
    const stopFeed = feed.onEvent((event) => {
      for (const stream of this.streams) stream.push(event);
    });
    this.events = { log, stopFeed };
  }

  /** Serves this supergraph's subscription fields from now on (call it on every load or update). */
  useSupergraph(apiSchema: GraphQLSchema, supergraphSdl: string): void {
    this.fields = eventFieldsOf(supergraphSdl);
    this.schema = apiSchema;
  }

  /** Opens a subscription for a verified caller until `expiresAt` (epoch ms), or refuses it with errors saying why. */
  async open(caller: Caller, request: SubscriptionRequest, transport: Transport, expiresAt?: number): Promise<OpenSubscription | readonly GraphQLError[]> {
    if (!this.schema) return refusal('the supergraph is not loaded yet; retry shortly', 'NOT_READY');
    const events = this.events;
    if (!events) return refusal('the event log cannot be reached yet; retry shortly', 'NOT_READY');
    if (typeof request.query !== 'string') return refusal('send the subscription as "query"', 'BAD_REQUEST');
    if (request.lastEventId !== undefined && !LAST_EVENT_ID.test(request.lastEventId))
      return refusal('the last event id must be an id as sent in extensions.eventId (digits)', 'BAD_USER_INPUT');
    if (this.deps.trusted && !this.deps.trusted.has(createHash('sha256').update(request.query).digest('hex')))
      return refusal('this operation is not in the persisted query list; only trusted documents are served', 'PERSISTED_QUERY_NOT_IN_LIST');
    let document: DocumentNode;
    try {
      document = parse(request.query, this.deps.parseOptions);
    } catch (error) {
      return refusal((error as GraphQLError).message, 'GRAPHQL_PARSE_FAILED');
    }
    const plan = planSubscription(this.schema, this.fields, { document, ...request }, this.deps.validationRules);
    if (Array.isArray(plan)) return plan;
    const planned = plan as SubscriptionPlan;
    try {
      this.deps.checkCost(planned.eventQuery, planned.eventQuery.definitions[0] as OperationDefinitionNode, { ...planned.variables, [KEY_VARIABLE]: 'key' });
    } catch (error) {
      return [error as GraphQLError];
    }
    const client = identityKey(caller.identity);
    const overLimit = () => (this.byClient.get(client) ?? 0) >= this.deps.settings.perClient;
    const tooMany = () => refusal(`at most ${this.deps.settings.perClient} subscriptions may be open per client; end one first`, 'TOO_MANY_SUBSCRIPTIONS');
    if (overLimit()) return tooMany();
    const refused = await this.authorize(caller, planned);
    if (refused) return refused;
    // Checked again: others may have opened while this one was authorized.
    if (overLimit()) return tooMany();

    this.byClient.set(client, (this.byClient.get(client) ?? 0) + 1);
    metrics.open.inc({ transport: transport.name });
    const stream: EventStream = new EventStream(
      events.log,
      (event) => matches(planned, event),
      [planned.field.type],
      this.deps.settings,
      request.lastEventId,
      (reason) => {
        this.streams.delete(stream);
        const left = (this.byClient.get(client) ?? 1) - 1;
        if (left > 0) this.byClient.set(client, left);
        else this.byClient.delete(client);
        metrics.open.dec({ transport: transport.name });
        if (!reason) return;
        metrics.ended.inc({ reason: reason.reason });
        this.deps.logger.info({ reason: reason.reason, transport: transport.name, client: caller.identity.clientId }, 'subscription ended by the gateway');
        transport.ended(reason);
      },
    );
    this.streams.add(stream);
    const expiry =
      expiresAt === undefined
        ? undefined
        : setTimeout(
            () => this.endStream(stream, 'TOKEN_EXPIRED', 'the credential expired; subscribe again with a fresh token'),
            Math.max(0, expiresAt - Date.now()),
          );
    expiry?.unref();
    return { schema: this.schema, document, results: this.results(stream, planned, caller, () => clearTimeout(expiry)), close: () => stream.end() };
  }

  /** Ends every subscription (the process is stopping): subscribers reconnect, to another replica, with their last event id. */
  close(): void {
    for (const stream of this.streams) this.endStream(stream, 'SHUTTING_DOWN', 'the gateway is restarting; reconnect with the last event id seen');
    this.events?.stopFeed();
  }

  private endStream(stream: EventStream, reason: StreamEnded['reason'], message: string): void {
    stream.end(new StreamEnded(reason, message));
  }

  /** The field's `authorize` query with the subscriber's credentials: its errors (FORBIDDEN…) refuse the subscription. */
  private async authorize(caller: Caller, plan: SubscriptionPlan): Promise<readonly GraphQLError[] | undefined> {
    const response = await this.deps.apollo.executeOperation(
      { query: plan.authorize.query, variables: plan.authorize.variables },
      { contextValue: this.deps.contextFor(caller) },
    );
    if (response.body.kind !== 'single') return refusal('the subscription could not be authorized', 'INTERNAL_SERVER_ERROR');
    const { data, errors } = response.body.singleResult;
    if (errors?.length) return errors.map((error) => new GraphQLError(error.message, { extensions: error.extensions }));
    if (!data || Object.values(data).some((value) => value === null))
      return refusal(`nothing to follow: Subscription.${plan.field.name} names no such entity`, 'NOT_FOUND');
    return undefined;
  }

  /**
   * Each event as the subscriber's answer, in order. The events waiting are read together: each entity once, however
   * many of them name it (it is read after the last of them happened), a few entities at a time.
   */
  private async *results(stream: EventStream, plan: SubscriptionPlan, caller: Caller, done: () => void): AsyncGenerator<ExecutionResult> {
    try {
      for (let batch = await stream.take(BATCH); batch; batch = await stream.take(BATCH)) {
        const keys = [...new Set(batch.map((event) => event.key))];
        const answers = new Map<string, Promise<Answer>>();
        // Keys are read in order, READS_AT_ONCE at a time, so the first answers go out while later ones are read.
        for (const [index, key] of keys.entries()) {
          const previous = keys[index - READS_AT_ONCE];
          const ready = previous === undefined ? Promise.resolve() : answers.get(previous)?.then(() => undefined);
          answers.set(
            key,
            (ready ?? Promise.resolve()).then(() => this.read(plan, caller, key)),
          );
        }
        for (const event of batch) {
          const answer = await (answers.get(event.key) as Promise<Answer>);
          metrics.events.inc({ outcome: answer ? (answer.errors ? 'failed' : 'delivered') : 'withheld' });
          if (answer) yield { ...answer, extensions: { eventId: event.id, eventType: event.type, occurredAt: event.occurredAt } };
        }
      }
    } finally {
      done();
      stream.end();
    }
  }

  /** An event's entity as the subscriber's answer, or undefined when they may not read it (or it is gone). */
  private async read(plan: SubscriptionPlan, caller: Caller, key: string): Promise<Answer> {
    const response = await this.deps.apollo.executeOperation(
      { query: plan.eventQuery, variables: { ...plan.variables, [KEY_VARIABLE]: key } },
      { contextValue: { ...this.deps.contextFor(caller), eventDelivery: true } },
    );
    if (response.body.kind !== 'single') return undefined;
    const { data, errors } = response.body.singleResult;
    const answer = unwrap(plan, data);
    const withheld = !answer && (!errors?.length || errors.some((error) => WITHHELD.has(String(error.extensions?.code))));
    if (withheld) return undefined;
    return {
      data: answer,
      // Paths as the subscriber wrote the selection: the lookup's own fields left out.
      errors: errors?.map(
        (error) =>
          new GraphQLError(error.message, {
            path: error.path && [error.path[0] as string, ...error.path.slice(1 + plan.path.length)],
            extensions: error.extensions,
          }),
      ),
    };
  }
}
