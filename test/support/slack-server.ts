// A local Slack Web API, speaking the documented request and response shapes of the methods the operator
// calls (https://api.slack.com/methods): form-encoded or JSON POSTs to /api/<method> with a Bearer token,
// `{ ok: true, ... }` or `{ ok: false, error }` answers, 429 with Retry-After when rate limited. The
// production @slack/web-api client reaches it through `slackApiUrl`, so retries, pacing and serialization are
// the real ones. Faults are injected per method: a 429, a 5xx, a platform error, or a slow answer.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { slackSignedHeaders } from '../../src/slack/request-verification.ts';

export interface StoredMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
  reply_broadcast?: boolean;
  /** Set by chat.update; every version is kept in `history`. */
  edited?: boolean;
  history: { text?: string; blocks?: unknown[] }[];
}

export interface EphemeralMessage {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
}

export interface SlackUser {
  id: string;
  name: string;
  real_name?: string;
  profile?: { email?: string; display_name?: string; real_name?: string };
  deleted?: boolean;
}

export type Fault = { status: 429; retryAfterSeconds: number } | { status: 500 | 502 | 503 } | { error: string } | { delayMs: number };

export interface SlackServerOptions {
  token?: string;
  /** Channel name (without #) -> id; postMessage to any other channel answers channel_not_found. */
  channels?: Record<string, string>;
  users?: SlackUser[];
  /** User group id -> member ids. */
  userGroups?: Record<string, string[]>;
  teamId?: string;
  botUserId?: string;
  /** The app-level token apps.connections.open accepts (Socket Mode). */
  appToken?: string;
}

export const TEST_APP_TOKEN = 'xapp-1-A0TESTAPP1-0000000000000-abcdefabcdefabcdef';
export const TEST_BOT_TOKEN = 'xoxb-test-0000000000-0000000000000-abcdefabcdefabcdefabcdef';

export class SlackServer {
  readonly token: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly messages: StoredMessage[] = [];
  readonly ephemerals: EphemeralMessage[] = [];
  /** method -> how many requests reached it (including refused and faulted ones). */
  readonly calls = new Map<string, number>();
  /** Every request, in order, for assertions on what was sent. */
  readonly requests: { method: string; args: Record<string, unknown>; at: number }[] = [];
  readonly channels: Map<string, string>;
  readonly users: Map<string, SlackUser>;
  readonly userGroups: Map<string, string[]>;
  readonly appToken: string;
  /** Envelope ids the Socket Mode client acknowledged, in order. */
  readonly acks: string[] = [];
  #sockets = new Set<WebSocket>();
  #wss: WebSocketServer | undefined;
  #faults = new Map<string, Fault[]>();
  #periodic = new Map<string, { n: number; fault: Fault; seen: number }>();
  #server: Server | undefined;
  #clock = 1_700_000_000;
  #sequence = 0;
  url = '';

  constructor(options: SlackServerOptions = {}) {
    this.token = options.token ?? TEST_BOT_TOKEN;
    this.appToken = options.appToken ?? TEST_APP_TOKEN;
    this.teamId = options.teamId ?? 'T0TEST0001';
    this.botUserId = options.botUserId ?? 'U0BOT00001';
    this.channels = new Map(Object.entries(options.channels ?? { alerts: 'C0ALERTS01', ci: 'C0CIFAIL01', approvals: 'C0APPROV01' }));
    this.users = new Map((options.users ?? []).map((user) => [user.id, user]));
    this.userGroups = new Map(Object.entries(options.userGroups ?? {}));
  }

  /** The base URL for the web client's slackApiUrl. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  async start(): Promise<this> {
    this.#server = createServer((request, response) => void this.#handle(request, response));
    // Socket Mode: apps.connections.open hands out ws://…/link?ticket=…, where Slack says hello and then
    // sends envelopes; the client acknowledges each by sending back its envelope_id.
    this.#wss = new WebSocketServer({ noServer: true });
    this.#server.on('upgrade', (request, socket, head) => {
      if (!(request.url ?? '').startsWith('/link')) {
        socket.destroy();
        return;
      }
      this.#wss!.handleUpgrade(request, socket, head, (ws) => {
        this.#sockets.add(ws);
        ws.on('close', () => this.#sockets.delete(ws));
        ws.on('message', (data) => {
          const message = parseJson(String(data)) as { envelope_id?: string } | undefined;
          if (typeof message?.envelope_id === 'string') this.acks.push(message.envelope_id);
        });
        ws.send(JSON.stringify({ type: 'hello', num_connections: this.#sockets.size, debug_info: { host: 'applink-test', approximate_connection_time: 3600 }, connection_info: { app_id: 'A0TESTAPP1' } }));
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Socket Mode connections currently open. */
  get connections(): number {
    return this.#sockets.size;
  }

  /**
   * Sends an envelope to every open connection, as Slack does for an interaction (`type: interactive`).
   * Sending the same envelope id twice is what a redelivery looks like.
   */
  deliver(payload: object, options: { envelopeId?: string; type?: string } = {}): string {
    const envelopeId = options.envelopeId ?? `env-${(this.#sequence += 1)}-${Date.now()}`;
    const envelope = JSON.stringify({ envelope_id: envelopeId, type: options.type ?? 'interactive', payload, accepts_response_payload: false });
    for (const socket of this.#sockets) socket.send(envelope);
    return envelopeId;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.terminate();
    this.#wss?.close();
    if (this.#server === undefined) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }

  /** The next `count` calls of `method` get `fault` (in order, before any fault queued later). */
  inject(method: string, fault: Fault, count = 1): void {
    const queue = this.#faults.get(method) ?? [];
    for (let i = 0; i < count; i += 1) queue.push(fault);
    this.#faults.set(method, queue);
  }

  /** Every `n`th call of `method` (counting from now) gets `fault`: a steady rate limit, say. 0 stops it. */
  injectEvery(method: string, n: number, fault: Fault): void {
    if (n <= 0) this.#periodic.delete(method);
    else this.#periodic.set(method, { n, fault, seen: 0 });
  }

  callCount(method?: string): number {
    if (method !== undefined) return this.calls.get(method) ?? 0;
    return [...this.calls.values()].reduce((sum, n) => sum + n, 0);
  }

  /** Top-level messages of a channel (by id or name). */
  parents(channel: string): StoredMessage[] {
    const id = this.#channelId(channel) ?? channel;
    return this.messages.filter((message) => message.channel === id && message.thread_ts === undefined);
  }

  replies(channel: string, threadTs: string): StoredMessage[] {
    const id = this.#channelId(channel) ?? channel;
    return this.messages.filter((message) => message.channel === id && message.thread_ts === threadTs);
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    const id = this.#channelId(channel) ?? channel;
    return this.messages.find((message) => message.channel === id && message.ts === ts);
  }

  #channelId(channel: string): string | undefined {
    if (channel.startsWith('#')) return this.channels.get(channel.slice(1));
    return [...this.channels.values()].includes(channel) ? channel : undefined;
  }

  #nextTs(): string {
    this.#sequence += 1;
    return `${this.#clock + Math.floor(this.#sequence / 1000)}.${String(this.#sequence % 1000).padStart(6, '0')}`;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const match = /^\/api\/([a-zA-Z.]+)$/.exec((request.url ?? '').split('?')[0] ?? '');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const send = (status: number, body: object, headers: Record<string, string> = {}): void => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
    };
    if (match === null || request.method !== 'POST') {
      send(404, { ok: false, error: 'unknown_method' });
      return;
    }
    const method = match[1]!;
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const args = parseArgs(request.headers['content-type'] ?? '', Buffer.concat(chunks).toString('utf8'));
    this.requests.push({ method, args, at: Date.now() });

    const periodic = this.#periodic.get(method);
    if (periodic !== undefined) periodic.seen += 1;
    const fault = this.#faults.get(method)?.shift() ?? (periodic !== undefined && periodic.seen % periodic.n === 0 ? periodic.fault : undefined);
    if (fault !== undefined) {
      if ('delayMs' in fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      else if ('status' in fault && fault.status === 429) {
        send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfterSeconds) });
        return;
      } else if ('status' in fault) {
        response.writeHead(fault.status, { 'content-type': 'text/plain' }).end('upstream error');
        return;
      } else {
        send(200, { ok: false, error: fault.error });
        return;
      }
    }
    const auth = request.headers.authorization ?? (typeof args.token === 'string' ? `Bearer ${args.token}` : undefined);
    if (auth === undefined) {
      send(200, { ok: false, error: 'not_authed' });
      return;
    }
    if (method === 'apps.connections.open') {
      // Only an app-level token opens a connection; a bot token is the wrong type, as on Slack.
      if (auth === `Bearer ${this.token}`) send(200, { ok: false, error: 'not_allowed_token_type' });
      else if (auth !== `Bearer ${this.appToken}`) send(200, { ok: false, error: 'invalid_auth' });
      else send(200, { ok: true, url: `${this.url.replace(/^http/, 'ws')}/link/?ticket=${(this.#sequence += 1)}&app_id=A0TESTAPP1` });
      return;
    }
    if (auth !== `Bearer ${this.token}`) {
      send(200, { ok: false, error: 'invalid_auth' });
      return;
    }
    send(200, this.#answer(method, args));
  }

  #answer(method: string, args: Record<string, unknown>): object {
    const text = typeof args.text === 'string' ? args.text : undefined;
    const blocks = parseJson(args.blocks) as unknown[] | undefined;
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://test.slack.com/', team: 'Test', user: 'ci-remediator', team_id: this.teamId, user_id: this.botUserId, bot_id: 'B0BOT00001' };
      case 'chat.postMessage': {
        const channel = this.#channelId(String(args.channel ?? ''));
        if (channel === undefined) return { ok: false, error: 'channel_not_found' };
        if (text === undefined && blocks === undefined) return { ok: false, error: 'no_text' };
        const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
        if (threadTs !== undefined && this.message(channel, threadTs) === undefined) return { ok: false, error: 'thread_not_found' };
        const ts = this.#nextTs();
        const stored: StoredMessage = {
          channel,
          ts,
          ...(threadTs !== undefined && { thread_ts: threadTs }),
          ...(text !== undefined && { text }),
          ...(blocks !== undefined && { blocks }),
          ...(args.reply_broadcast === 'true' || args.reply_broadcast === true ? { reply_broadcast: true } : {}),
          history: [],
        };
        this.messages.push(stored);
        return { ok: true, channel, ts, message: { type: 'message', text, blocks, bot_id: 'B0BOT00001', ts, ...(threadTs !== undefined && { thread_ts: threadTs }) } };
      }
      case 'chat.update': {
        const channel = this.#channelId(String(args.channel ?? ''));
        if (channel === undefined) return { ok: false, error: 'channel_not_found' };
        const stored = this.message(channel, String(args.ts ?? ''));
        if (stored === undefined) return { ok: false, error: 'message_not_found' };
        stored.history.push({ ...(stored.text !== undefined && { text: stored.text }), ...(stored.blocks !== undefined && { blocks: stored.blocks }) });
        if (text !== undefined) stored.text = text;
        if (blocks !== undefined) stored.blocks = blocks;
        stored.edited = true;
        return { ok: true, channel, ts: stored.ts, text: stored.text, message: { text: stored.text, blocks: stored.blocks } };
      }
      case 'chat.postEphemeral': {
        const channel = this.#channelId(String(args.channel ?? ''));
        if (channel === undefined) return { ok: false, error: 'channel_not_found' };
        const user = String(args.user ?? '');
        if (!this.users.has(user)) return { ok: false, error: 'user_not_in_channel' };
        this.ephemerals.push({ channel, user, ...(text !== undefined && { text }), ...(blocks !== undefined && { blocks }) });
        return { ok: true, message_ts: this.#nextTs() };
      }
      case 'usergroups.users.list': {
        const members = this.userGroups.get(String(args.usergroup ?? ''));
        if (members === undefined) return { ok: false, error: 'no_such_subteam' };
        return { ok: true, users: members };
      }
      case 'users.info': {
        const user = this.users.get(String(args.user ?? ''));
        if (user === undefined) return { ok: false, error: 'user_not_found' };
        return { ok: true, user: { team_id: this.teamId, deleted: false, ...user } };
      }
      case 'users.lookupByEmail': {
        const email = String(args.email ?? '').toLowerCase();
        const user = [...this.users.values()].find((candidate) => candidate.profile?.email?.toLowerCase() === email);
        if (user === undefined) return { ok: false, error: 'users_not_found' };
        return { ok: true, user: { team_id: this.teamId, ...user } };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function parseArgs(contentType: string, body: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return (parseJson(body) as Record<string, unknown> | undefined) ?? {};
  return Object.fromEntries(new URLSearchParams(body));
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * An interaction request as Slack sends it: `application/x-www-form-urlencoded` with one `payload` field
 * holding the JSON, signed with the app's signing secret at `now`.
 */
export function signedInteraction(payload: object, signingSecret: string, now = new Date()): { body: string; headers: Record<string, string> } {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return { body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...slackSignedHeaders(body, signingSecret, now) } };
}

/** A `block_actions` payload for a click on a button of a message, with the fields Slack documents. */
let clicks = 0;

export function blockActionsPayload(input: { userId: string; username?: string; channel: string; messageTs: string; actionId: string; value: string; teamId?: string }): object {
  // Every real click differs (trigger_id, action_ts to the microsecond), so two clicks never sign alike.
  clicks += 1;
  const nowMs = Date.now();
  const actionTs = `${Math.floor(nowMs / 1000)}.${String((nowMs % 1000) * 1000 + (clicks % 1000)).padStart(6, '0')}`;
  return {
    type: 'block_actions',
    user: { id: input.userId, username: input.username ?? input.userId.toLowerCase(), name: input.username ?? input.userId.toLowerCase(), team_id: input.teamId ?? 'T0TEST0001' },
    api_app_id: 'A0TESTAPP1',
    token: 'legacy-verification-token-unused',
    container: { type: 'message', message_ts: input.messageTs, channel_id: input.channel, is_ephemeral: false },
    trigger_id: `${Math.floor(nowMs / 1000)}.1234567890.${clicks.toString(16).padStart(6, '0')}`,
    team: { id: input.teamId ?? 'T0TEST0001', domain: 'test' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channel, name: 'ci' },
    message: { type: 'message', ts: input.messageTs, text: 'Approval needed' },
    state: { values: {} },
    response_url: 'https://hooks.slack.com/actions/T0TEST0001/1/abc',
    actions: [{ action_id: input.actionId, block_id: 'ci_remediator_decision', text: { type: 'plain_text', text: 'Approve' }, value: input.value, type: 'button', action_ts: actionTs }],
  };
}
