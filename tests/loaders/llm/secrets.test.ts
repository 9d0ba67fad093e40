// What an LLM server sends back is untrusted: a key it echoes, terminal escapes in the model
// name or a reason, must not reach the picks, the cache or the log; and an answer cached from
// one server must not come back for another.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { redactOutput, stripControlChars } from "../../../lib/llm-errors.ts";
import { resolveEndpoint, type LlmClientOptions } from "../../../loaders/llm/client.ts";
import { rerank } from "../../../loaders/llm/rerank.ts";
import { rerankInput } from "../../helpers/rerank-fixture.ts";
import { candidateIdsIn, completion, echoFirstCandidates, startMockLlm, type MockLlm, type RecordedRequest, mockGroqClient } from "../../helpers/mock-llm.ts";

const FAKE_KEY = "gsk_FAKEKEY_secrets_test_0123456789abcdef";
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

let mock: MockLlm;
let other: MockLlm;
let lines: string[];
let cacheRoot: string;

beforeAll(async () => {
  mock = await startMockLlm();
  other = await startMockLlm();
});
afterAll(async () => {
  await mock.close();
  await other.close();
});
beforeEach(() => {
  for (const server of [mock, other]) {
    server.requests.length = 0;
    server.setDefault(echoFirstCandidates());
  }
  lines = [];
  for (const name of ["GROQ_API_KEY", "LLM_BASE_URL", "LLM_MODEL", "LLM_TIMEOUT_MS", "LLM_STRUCTURED_OUTPUT"]) vi.stubEnv(name, "");
  cacheRoot = mkdtempSync(path.join(tmpdir(), "marquee-llm-secrets-"));
  return () => {
    vi.unstubAllEnvs();
    rmSync(cacheRoot, { recursive: true, force: true });
  };
});

function client(options: LlmClientOptions = {}) {
  return mockGroqClient(mock, FAKE_KEY, (line) => lines.push(line), { limits: {}, ...options });
}

const log = (line: string) => lines.push(line);

/** Every cache file under the test's cache root, as text. */
function cacheText(): string {
  const dir = path.join(cacheRoot, "llm");
  return readdirSync(dir)
    .map((name) => readFileSync(path.join(dir, name), "utf8"))
    .join("\n");
}

/** `text` with every character as a JSON \u escape: the same string to JSON.parse, not to a search. */
const escaped = (text: string) => [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");

/** A server that repeats the caller's Authorization header and key in its picks and model name. */
function echoingKey(request: RecordedRequest) {
  const [a, b, c] = candidateIdsIn(request);
  const picks = [
    { id: a, reason: `Token ${request.authorization} fits.` },
    { id: b, reason: `Key ${FAKE_KEY} fits too.` },
    { id: c, reason: "Spelled ESCAPED_KEY in escapes." },
  ];
  const content = JSON.stringify({ picks }).replace("ESCAPED_KEY", escaped(FAKE_KEY));
  return { body: completion(content, `mock-${FAKE_KEY}`) };
}

describe("a key the server echoes", () => {
  it("reaches neither the picks, the model name, the cache file nor the log", async () => {
    mock.setDefault(echoingKey);
    const result = await rerank(rerankInput(), { client: client(), cacheDir: cacheRoot, log });
    expect(result.source).toBe("llm");
    expect(result.picks).toHaveLength(3);
    // The fused order differs from the model's; all three of its picks make the list.
    expect(result.picks.map((p) => p.reason).sort()).toEqual(["Key [redacted] fits too.", "Spelled [redacted] in escapes.", "Token [redacted] fits."]);
    const everything = [JSON.stringify(result), cacheText(), ...lines].join("\n");
    expect(everything).not.toContain(FAKE_KEY);
    expect(everything).not.toContain(escaped(FAKE_KEY));
    expect(lines.some((l) => l.startsWith("[llm] mock-[redacted] "))).toBe(true);
  });

  it("is scrubbed from an unusable answer before its start is quoted in the repair notice and the fallback reason", async () => {
    // JSON.parse's message quotes the first 10 characters of the text.
    mock.script({ content: `${FAKE_KEY}, no JSON today` }, { content: `Bearer ${FAKE_KEY} still no JSON` });
    const result = await rerank(rerankInput(), { client: client(), cacheDir: cacheRoot, log });
    expect(result.source).toBe("fallback");
    expect(result.fallbackReason).toContain('"[redacted] "...');
    const everything = [JSON.stringify(result), ...lines].join("\n");
    expect(everything).not.toContain(FAKE_KEY.slice(0, 10));
    expect(everything).not.toContain("FAKEKE");
  });

  it("leaves an answer without the key byte for byte as sent", () => {
    const content = '{"picks":[{"id":1,"reason":"caf\\u00e9 \\u0041"}]}';
    expect(redactOutput(content, [FAKE_KEY])).toBe(content);
    // An escaped backslash followed by "u0067" is literal text, not an escape.
    expect(redactOutput(`"\\\\${escaped("g").slice(1)}sk"`, [FAKE_KEY])).toBe(`"\\\\${escaped("g").slice(1)}sk"`);
  });
});

describe("terminal escapes from the server", () => {
  it("are stripped from the model name, the reasons and the log lines", async () => {
    mock.setDefault((request) => {
      const [a, b] = candidateIdsIn(request);
      const picks = [
        { id: a, reason: "Bold \u001b[1mcrime\u001b[0m story.\u0007" },
        { id: b, reason: "C1 CSI \u009b2J clears the screen; OSC \u001b]0;owned\u0007 retitles it." },
      ];
      return { body: completion(JSON.stringify({ picks }), "evil\u001b[2J\u009b31m-model\r\n") };
    });
    const result = await rerank(rerankInput({ limit: 2 }), { client: client(), cacheDir: cacheRoot, log });
    expect(result.source).toBe("llm");
    expect(result.model).toBe("evil [2J 31m-model");
    for (const pick of result.picks) expect(pick.reason).not.toMatch(CONTROL);
    expect(cacheText()).not.toMatch(/\\u001b|\\u009b|\\u0007/);
    for (const line of lines) expect(line).not.toMatch(CONTROL);
  });

  it("are stripped from a fallback reason that quotes an unusable answer", async () => {
    mock.script({ content: "\u001b[2J\u009bnot json" }, { content: "\u001b]0;owned\u0007 still not json" });
    const result = await rerank(rerankInput(), { client: client(), cacheDir: null, log });
    expect(result.source).toBe("fallback");
    expect(result.fallbackReason).toMatch(/^bad_output: not valid JSON/);
    expect(result.fallbackReason).not.toMatch(CONTROL);
    for (const line of lines) expect(line).not.toMatch(CONTROL);
  });

  it("are stripped from a server's error message", async () => {
    mock.script({ status: 400, body: { error: { message: "bad \u001b[31mrequest\u009b" } } });
    const result = await rerank(rerankInput(), { client: client(), cacheDir: null, log });
    expect(result.fallbackReason).toMatch(/^request: .*bad/);
    expect(result.fallbackReason).not.toMatch(CONTROL);
  });

  it("stripControlChars keeps ordinary text, accents and emoji", () => {
    expect(stripControlChars("Amélie — 東京 🎬")).toBe("Amélie — 東京 🎬");
  });
});

describe("the rerank cache key includes the endpoint", () => {
  it("misses for another base URL serving the same model, and hits for the same base URL however it is written", async () => {
    const input = rerankInput();
    const first = await rerank(input, { client: client({ baseURL: mock.openaiBaseURL }), cacheDir: cacheRoot, log });
    expect(first.source).toBe("llm");
    expect(mock.requests).toHaveLength(1);

    // Same model name, another server: its own answer, not the first server's.
    await rerank(input, { client: client({ baseURL: other.openaiBaseURL }), cacheDir: cacheRoot, log });
    expect(other.requests).toHaveLength(1);

    // The first server again, spelled as a bare origin and with a trailing slash: a hit.
    const again = await rerank(input, { client: client({ baseURL: mock.url }), cacheDir: cacheRoot, log });
    await rerank(input, { client: client({ baseURL: `${mock.openaiBaseURL}/` }), cacheDir: cacheRoot, log });
    expect(mock.requests).toHaveLength(1);
    expect(again).toEqual(first);

    const files = readdirSync(path.join(cacheRoot, "llm"));
    expect(files).toHaveLength(2);
    const text = cacheText();
    expect(text).toContain(`"endpoint": "${mock.openaiBaseURL}"`);
    expect(text).not.toContain(FAKE_KEY);
  });

  it("normalises base URLs: host case, default port and trailing slashes do not matter", () => {
    expect(resolveEndpoint("HTTP://LocalHost:80/v1/").url).toBe("http://localhost/v1");
    expect(resolveEndpoint("http://localhost").url).toBe("http://localhost/v1");
    expect(resolveEndpoint(undefined).url).toBe("https://api.groq.com/openai/v1");
    expect(resolveEndpoint("https://api.groq.com").url).toBe("https://api.groq.com/openai/v1");
    expect(resolveEndpoint("https://proxy.example/groq/openai/v1").url).toBe("https://proxy.example/groq/openai/v1");
  });
});
