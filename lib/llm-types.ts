// The chat contract between the rerank and any LLM transport (Groq, an OpenAI-compatible
// server, a mock). Types only, so lib/ can build prompts without knowing the transport.

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export type ResponseFormat =
  | { type: "json_schema"; json_schema: { name: string; strict: boolean; schema: Record<string, unknown> } }
  | { type: "json_object" };

export type StructuredOutput = "json_schema" | "json_object";

export interface ChatRequest {
  messages: ChatMessage[];
  responseFormat?: ResponseFormat;
  temperature?: number;
  maxTokens?: number;
  /** Completion tokens we expect (for token-per-minute pacing before the server tells us). */
  expectedCompletionTokens?: number;
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatResult {
  content: string;
  model: string;
  usage: ChatUsage | null;
  ms: number;
  finishReason: string | null;
}

export interface ChatCallOptions {
  timeoutMs?: number;
  maxRetries?: number;
  /** Longest this whole call may take, retries and waits included; the client's default when omitted. */
  totalBudgetMs?: number;
}

export interface LlmClient {
  readonly model: string;
  /** Which response_format this model accepts: strict JSON schema (gpt-oss) or JSON mode. */
  readonly structuredOutput: StructuredOutput;
  chat(request: ChatRequest, options?: ChatCallOptions): Promise<ChatResult>;
}
