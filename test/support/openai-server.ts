// A local OpenAI-compatible API for tests: POST /v1/chat/completions (tool calls and structured output,
// streamed as server-sent events or not, as the request asks) and GET /v1/models. The production client
// (openai, through @strands-agents/sdk) reaches it by baseURL, as it would reach Azure OpenAI, vLLM or Ollama.
//
// Scripting: every completion request takes the next step of the script (`server.script(...)`), or asks a
// function (`server.respond((request) => step)`). A step is a model answer (tool calls, a verdict, text, a
// refusal) or a fault (an HTTP status with headers, a delay, a malformed body). Token usage is counted with
// the same tokenizer the analyzer estimates with, so usage figures are the real size of what was sent.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

export interface ToolCallSpec {
  name: string;
  /** An object is sent as JSON; a string is sent as it is (to script malformed arguments). */
  arguments: Record<string, unknown> | string;
}

export type Step =
  | { toolCalls: ToolCallSpec[] }
  /** The final answer: a call of the SDK's structured-output tool, or JSON content under `response_format`. */
  | { verdict: Record<string, unknown> }
  | { text: string }
  | { refusal: string }
  | { status: number; headers?: Record<string, string>; message?: string; type?: string }
  | { delayMs: number; then?: Step }
  | { malformed: 'json' | 'stream' };

export interface ChatRequest {
  model: string;
  stream: boolean;
  messages: Array<{ role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string }>;
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
  tool_choice?: unknown;
  response_format?: { type: string; json_schema?: { name: string; schema: unknown } };
  [key: string]: unknown;
}

export interface OpenAIServer {
  /** `http://127.0.0.1:PORT/v1`: what a client takes as baseURL. */
  readonly baseURL: string;
  readonly apiKey: string;
  /** Every completion request, in arrival order (faults included). */
  readonly requests: ChatRequest[];
  /** Queue steps, answered in order; when the queue is empty the responder (if any) answers. */
  script(...steps: Step[]): void;
  respond(responder: (request: ChatRequest, index: number) => Step): void;
  /** The text of every message the model was sent, tool results included, joined. */
  sentText(index?: number): string;
  close(): Promise<void>;
}

export interface OpenAIServerOptions {
  apiKey?: string;
  models?: string[];
}

export const STRUCTURED_OUTPUT_TOOL = 'strands_structured_output';

export async function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  const apiKey = options.apiKey ?? 'sk-test-local-openai-server';
  const models = options.models ?? ['gpt-4o', 'gpt-4o-mini'];
  const queue: Step[] = [];
  const requests: ChatRequest[] = [];
  let responder: ((request: ChatRequest, index: number) => Step) | undefined;
  let counter = 0;
  const sockets = new Set<import('node:net').Socket>();

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, `test server failure: ${String(error)}`, 'server_error');
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      sendError(res, 401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
      return;
    }
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'local' })) });
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
      sendError(res, 404, `Unknown route ${req.method} ${url.pathname}`, 'invalid_request_error');
      return;
    }
    let request: ChatRequest;
    try {
      request = JSON.parse(body) as ChatRequest;
    } catch {
      sendError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error');
      return;
    }
    const index = requests.length;
    requests.push(request);
    const step = queue.shift() ?? responder?.(request, index);
    if (step === undefined) {
      sendError(res, 500, `the test scripted no answer for request ${index}`, 'server_error');
      return;
    }
    await answer(request, step, res);
  }

  async function answer(request: ChatRequest, step: Step, res: ServerResponse): Promise<void> {
    if ('delayMs' in step) {
      let timer: NodeJS.Timeout | undefined;
      const closed = new Promise<void>((resolve) => res.on('close', () => resolve()));
      await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, step.delayMs))), closed]);
      clearTimeout(timer);
      if (res.destroyed || res.writableEnded) return;
      if (step.then) await answer(request, step.then, res);
      else sendError(res, 504, 'slow step with nothing after it', 'server_error');
      return;
    }
    if ('status' in step) {
      sendError(res, step.status, step.message ?? `scripted ${step.status}`, step.type ?? (step.status === 429 ? 'rate_limit_exceeded' : 'server_error'), undefined, step.headers);
      return;
    }
    if ('malformed' in step) {
      if (step.malformed === 'json' || !request.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"chatcmpl-broken","choices":[{"message":{"role":"assistant","content":"{"riskSc');
      } else {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('data: {"id":"chatcmpl-broken","choices":[{"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":\n\ndata: [DONE]\n\n');
      }
      return;
    }

    const id = `chatcmpl-${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const promptTokens = countTokens(JSON.stringify({ messages: request.messages, tools: request.tools ?? [] }), { disallowedSpecial: new Set() });
    let message: { role: 'assistant'; content: string | null; refusal?: string | null; tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> };
    let finish: 'stop' | 'tool_calls' = 'stop';
    if ('toolCalls' in step) {
      message = { role: 'assistant', content: null, tool_calls: step.toolCalls.map((call, i) => toolCall(`call_${counter}_${i}`, call)) };
      finish = 'tool_calls';
    } else if ('verdict' in step) {
      if (request.response_format?.type === 'json_schema') {
        message = { role: 'assistant', content: JSON.stringify(step.verdict) };
      } else {
        message = { role: 'assistant', content: null, tool_calls: [toolCall(`call_${counter}_0`, { name: STRUCTURED_OUTPUT_TOOL, arguments: step.verdict })] };
        finish = 'tool_calls';
      }
    } else if ('refusal' in step) {
      message = { role: 'assistant', content: null, refusal: step.refusal };
    } else {
      message = { role: 'assistant', content: step.text };
    }
    const completionTokens = countTokens(JSON.stringify(message), { disallowedSpecial: new Set() });
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };

    if (!request.stream) {
      sendJson(res, 200, { id, object: 'chat.completion', created, model: request.model, choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] })}\n\n`);
    chunk({ role: 'assistant', content: '' });
    if (message.content) for (const part of split(message.content)) chunk({ content: part });
    if (message.refusal) chunk({ refusal: message.refusal });
    for (const [index, call] of (message.tool_calls ?? []).entries()) {
      chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] });
      for (const part of split(call.function.arguments)) chunk({ tool_calls: [{ index, function: { arguments: part } }] });
    }
    chunk({}, finish);
    const streamOptions = request.stream_options as { include_usage?: boolean } | undefined;
    if (streamOptions?.include_usage) res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    apiKey,
    requests,
    script: (...steps) => queue.push(...steps),
    respond: (fn) => {
      responder = fn;
    },
    sentText: (index) => {
      const chosen = index === undefined ? requests : [requests[index]].filter((r) => r !== undefined);
      return chosen.map((request) => request.messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? ''))).join('\n')).join('\n');
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function toolCall(id: string, call: ToolCallSpec) {
  return { id, type: 'function' as const, function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) } };
}

/** Streams in pieces, as a real endpoint does, so a client that only handles one-chunk answers fails here. */
function split(text: string): string[] {
  const size = Math.max(8, Math.ceil(text.length / 4));
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
function sendError(res: ServerResponse, status: number, message: string, type: string, code?: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { message, type, param: null, code: code ?? null } }, headers);
}
