// The chat requests of a selection (proposal and rerank), one definition for Node and the page:
// response format by model family, token budgets by whether the model reasons first.
import type { ChatMessage, ChatRequest, StructuredOutput } from "./llm-types.ts";
import { responseFormatFor } from "./prompt.ts";
import { PROPOSAL_COUNT, proposalResponseFormat } from "./proposals.ts";

/** gpt-oss models reason before answering: they need a larger completion budget. */
export function isReasoningModel(model: string): boolean {
  return /(^|\/)gpt-oss/i.test(model);
}

/** Strict JSON-schema output (constrained decoding) is offered for the gpt-oss family; others get JSON mode. */
export function structuredOutputFor(model: string): StructuredOutput {
  return /(^|\/)gpt-oss/i.test(model) ? "json_schema" : "json_object";
}

/** The rerank chat: about 60 tokens a reason plus JSON; reasoning models think first, within the same budget. */
export function rerankChatRequest(model: string, mode: StructuredOutput, messages: ChatMessage[], limit: number): ChatRequest {
  const reasoning = isReasoningModel(model);
  return {
    messages,
    responseFormat: responseFormatFor(mode),
    temperature: 0.2,
    maxTokens: 300 + limit * 100 + (reasoning ? 1024 : 0),
    expectedCompletionTokens: limit * 60 + (reasoning ? 400 : 0),
  };
}

/** The proposal chat: a few tokens a title, more for models that reason first. */
export function proposalChatRequest(model: string, mode: StructuredOutput, messages: ChatMessage[]): ChatRequest {
  const reasoning = isReasoningModel(model);
  return {
    messages,
    responseFormat: proposalResponseFormat(mode),
    temperature: 0.2,
    maxTokens: 200 + PROPOSAL_COUNT * 25 + (reasoning ? 1024 : 0),
    expectedCompletionTokens: PROPOSAL_COUNT * 15 + (reasoning ? 400 : 0),
  };
}
