// An OpenAI/Groq-compatible chat server on 127.0.0.1 for tests and benchmarks: answers
// POST /openai/v1/chat/completions (Groq's path) and /v1/chat/completions (everyone else's)
// from a script of responses, and records every request it receives. It sends the CORS headers
// a browser-callable provider sends (Groq's API does), and answers preflights, so the page can
// call it directly with a visitor's key.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { GroqChatClient, type LlmClientOptions } from "../../loaders/llm/client.ts";

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: ChatCompletionBody;
  at: number;
}

export interface ChatCompletionBody {
  model: string;
  messages: { role: string; content: string }[];
  response_format?: { type: string; json_schema?: { name: string; strict?: boolean; schema: Record<string, unknown> } };
  [key: string]: unknown;
}

export interface MockResponse {
  status?: number;
  headers?: Record<string, string>;
  /** Raw JSON body; when absent, `content` is wrapped in a chat completion. */
  body?: unknown;
  content?: string;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** Hold the answer this long (to trigger client timeouts). */
  delayMs?: number;
  /**
   * Send the status and headers at once, then the body one byte every this many ms: a server
   * that stalls mid-answer, which a headers-only timeout never notices.
   */
  dripBodyMs?: number;
}

export type Responder = (request: RecordedRequest) => MockResponse;

export interface MockLlm {
  url: string;
  /** Base URL in Groq's shape: `${url}/openai/v1`. */
  groqBaseURL: string;
  /** Base URL in the OpenAI-compatible shape: `${url}/v1`. */
  openaiBaseURL: string;
  requests: RecordedRequest[];
  /** CORS preflights (OPTIONS) received, with the origin and the headers they asked for. */
  preflights: { origin: string | undefined; headers: string | undefined }[];
  /** Queue responses, served in order before the default responder. */
  script(...responses: MockResponse[]): void;
  setDefault(responder: Responder): void;
  close(): Promise<void>;
}

const CHAT_PATHS = new Set(["/openai/v1/chat/completions", "/v1/chat/completions"]);

/** What Groq's API sends to browsers: any origin may read the answer (the key is the credential). */
const CORS = { "access-control-allow-origin": "*", "access-control-expose-headers": "retry-after, x-ratelimit-remaining-requests, x-ratelimit-reset-requests" };

export function completion(content: string, model = "mock-model", usage = { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 }) {
  return {
    id: "chatcmpl-mock",
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage,
  };
}

/** The candidate ids listed in a rerank request's data block, in prompt order. */
export function candidateIdsIn(request: RecordedRequest): number[] {
  const user = request.body.messages.find((m) => m.role === "user")?.content ?? "";
  const data = user.match(/<data>\s*([\s\S]*?)\s*<\/data>/);
  if (!data) return [];
  const parsed = JSON.parse(data[1]) as { candidates?: { id: number }[] };
  return (parsed.candidates ?? []).map((c) => c.id);
}

/** Whether a request is a proposal call (lib/proposals.ts) rather than a rerank. */
export function isProposalRequest(request: RecordedRequest): boolean {
  const format = request.body.response_format;
  if (format?.json_schema) return format.json_schema.name === "marquee_proposals";
  return /"proposals"/.test(request.body.messages.find((m) => m.role === "system")?.content ?? "");
}

/** A proposal call's answer naming these films. */
export function proposalsAnswer(proposals: { title: string; year: number | null }[]): MockResponse {
  return { content: JSON.stringify({ proposals }) };
}

/**
 * Answers every rerank request with its first `n` candidates (in the order the prompt lists
 * them), each with a short reason; proposal requests get `proposals` (none by default).
 */
export const echoFirstCandidates =
  (n = 10, proposals: { title: string; year: number | null }[] = []): Responder =>
  (request) => {
    if (isProposalRequest(request)) return proposalsAnswer(proposals);
    const ids = candidateIdsIn(request).slice(0, n);
    return { content: JSON.stringify({ picks: ids.map((id) => ({ id, reason: `Mock reason for ${id}.` })) }) };
  };

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Writes `body` one byte per `intervalMs`, stopping when the client goes away. */
function drip(res: ServerResponse, body: Buffer, intervalMs: number): void {
  res.flushHeaders();
  let sent = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(body.subarray(sent, sent + 1));
    sent++;
    if (sent >= body.length) {
      clearInterval(timer);
      res.end();
    }
  }, intervalMs);
  res.on("close", () => clearInterval(timer));
}

export async function startMockLlm(defaultResponder: Responder = echoFirstCandidates()): Promise<MockLlm> {
  const queue: MockResponse[] = [];
  const requests: RecordedRequest[] = [];
  const preflights: MockLlm["preflights"] = [];
  let responder = defaultResponder;
  const pending = new Set<ServerResponse>();

  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    const text = await readBody(req);
    if (req.method === "OPTIONS" && CHAT_PATHS.has(path)) {
      preflights.push({ origin: req.headers.origin, headers: req.headers["access-control-request-headers"] });
      res.writeHead(204, { ...CORS, "access-control-allow-methods": "POST, OPTIONS", "access-control-allow-headers": "authorization, content-type", "access-control-max-age": "600" });
      res.end();
      return;
    }
    if (req.method !== "POST" || !CHAT_PATHS.has(path)) {
      res.writeHead(404, { "content-type": "application/json", ...CORS });
      res.end(JSON.stringify({ error: { message: `mock has no route ${req.method} ${path}` } }));
      return;
    }
    const recorded: RecordedRequest = {
      method: req.method,
      path,
      authorization: req.headers.authorization,
      body: JSON.parse(text) as ChatCompletionBody,
      at: Date.now(),
    };
    requests.push(recorded);
    let spec: MockResponse;
    try {
      spec = queue.shift() ?? responder(recorded);
    } catch (error) {
      // A broken script should fail the test loudly, not hang it until the client times out.
      spec = { status: 500, body: { error: { message: `mock responder failed: ${(error as Error).message}` } } };
    }
    pending.add(res);
    res.on("close", () => pending.delete(res));
    if (spec.delayMs) await new Promise((resolve) => setTimeout(resolve, spec.delayMs));
    if (res.destroyed) return;
    const body = spec.body ?? completion(spec.content ?? "", recorded.body.model, spec.usage);
    const payload = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(spec.status ?? 200, { "content-type": "application/json", ...CORS, ...spec.headers });
    if (spec.dripBodyMs) return drip(res, Buffer.from(payload), spec.dripBodyMs);
    res.end(payload);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    groqBaseURL: `${url}/openai/v1`,
    openaiBaseURL: `${url}/v1`,
    requests,
    preflights,
    script: (...responses) => queue.push(...responses),
    setDefault: (next) => {
      responder = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of pending) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A real GroqChatClient pointed at the mock, as the LLM tests use it: a test key, the default
 * model, a short timeout and the caller's log; `options` override any of these.
 */
export function mockGroqClient(mock: MockLlm, key: string, log: (line: string) => void, options: LlmClientOptions = {}): GroqChatClient {
  return new GroqChatClient({ apiKey: key, baseURL: mock.groqBaseURL, model: "openai/gpt-oss-20b", timeoutMs: 2000, log, ...options });
}
