// One error class per way an LLM call can fail, so callers branch on the kind
// (fall back quietly on a timeout, tell the operator about a bad key) rather than on text.
// Every message passes through `redact` before it is stored, so no secret reaches a log.

export type LlmErrorKind =
  | "config"
  | "auth"
  | "rate_limit"
  | "timeout"
  | "connection"
  | "server"
  | "request"
  | "bad_output";

export class LlmError extends Error {
  readonly kind: LlmErrorKind;
  /** HTTP status when the server answered. */
  readonly status: number | undefined;

  constructor(kind: LlmErrorKind, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LlmError";
    this.kind = kind;
    this.status = options.status;
  }
}

/** Missing or malformed settings (no key for Groq, unusable LLM_BASE_URL). */
export class LlmConfigError extends LlmError {
  constructor(message: string) {
    super("config", message);
    this.name = "LlmConfigError";
  }
}

/** 401/403: the key is missing, wrong or lacks access to the model. Retrying cannot help. */
export class LlmAuthError extends LlmError {
  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super("auth", message, options);
    this.name = "LlmAuthError";
  }
}

/** 429 after the allowed retries, a server wait longer than we accept, or our own daily budget spent. */
export class LlmRateLimitError extends LlmError {
  /** How long the server (or our limiter) says to wait before the next request, if known. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { status?: number; cause?: unknown; retryAfterMs?: number } = {}) {
    super("rate_limit", message, options);
    this.name = "LlmRateLimitError";
    this.retryAfterMs = options.retryAfterMs;
  }
}

export class LlmTimeoutError extends LlmError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("timeout", message, options);
    this.name = "LlmTimeoutError";
  }
}

/** The server could not be reached (refused, DNS, reset). */
export class LlmConnectionError extends LlmError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("connection", message, options);
    this.name = "LlmConnectionError";
  }
}

/** 5xx after the allowed retries. */
export class LlmServerError extends LlmError {
  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super("server", message, options);
    this.name = "LlmServerError";
  }
}

/** 400/404/422: the request itself was refused (unknown model, unsupported response_format...). */
export class LlmRequestError extends LlmError {
  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super("request", message, options);
    this.name = "LlmRequestError";
  }
}

/** The model answered, but not with what we asked for (invalid JSON, wrong shape, no usable pick). */
export class LlmOutputError extends LlmError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("bad_output", message, options);
    this.name = "LlmOutputError";
  }
}

/** Replaces every occurrence of each secret (and its Bearer form, as a whole) with a marker. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    // Very short values would blank ordinary words; real keys are long.
    if (!secret || secret.length < 8) continue;
    out = out.split(`Bearer ${secret}`).join("[redacted]");
    out = out.split(secret).join("[redacted]");
  }
  return out;
}

/**
 * `redact` for what a server sends back as model output. A JSON answer can spell the key with
 * \u escapes ("\u0067sk_..."), which a plain search misses and JSON.parse turns back into the
 * key; so escaped letters, digits, "_", "-" and "." are decoded first (the same string to a JSON
 * parser). The text is returned unchanged when it holds no secret in either form.
 */
export function redactOutput(text: string, secrets: readonly (string | undefined)[]): string {
  // One match per escape sequence, so an escaped backslash ("\\u0067") stays literal text.
  const decoded = text.replace(/\\(?:u([0-9a-fA-F]{4})|[\s\S])/g, (match, hex: string | undefined) => {
    if (hex === undefined) return match;
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return /^[A-Za-z0-9_.-]$/.test(char) ? char : match;
  });
  const scrubbed = redact(decoded, secrets);
  return scrubbed === decoded ? text : scrubbed;
}

/**
 * Text from a server made safe to print on a terminal: C0 and C1 control characters (ESC, the
 * single-byte CSI U+009B, BEL, CR...) become spaces, so no escape sequence can move the cursor,
 * retitle the window or hide earlier lines.
 */
export function stripControlChars(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}
