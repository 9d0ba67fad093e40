// The Recommend page's language-model settings: the visitor's own Groq key, or any
// OpenAI-compatible server (a local Ollama or llama.cpp), and a model. The key stays in this
// page's memory; only when the visitor ticks "Remember" is it written to this browser's
// localStorage. It is sent only to the chosen provider (lib/llm-browser.ts), never to our site.
import { h, uid } from "./dom.js";
import { GROQ_OPENAI_BASE_URL, chatCompletionsUrl, type BrowserLlmSettings } from "./lib.bundle.js";

export const STORAGE_KEY = "marquee.llm-settings";
export const DEFAULT_GROQ_MODEL = "openai/gpt-oss-20b";
export const DEFAULT_LOCAL_BASE_URL = "http://localhost:11434/v1";

export interface LlmSettingsElement extends HTMLElement {
  /** The settings in use, or null when the visitor has set none. */
  value: BrowserLlmSettings | null;
  /** Tells the visitor that this server ranks with its own model (GET /api/picks said so). */
  showServerModel(model: string): void;
}

interface Stored extends BrowserLlmSettings {
  provider: "groq" | "openai";
}

function readStored(): Stored | null {
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<Stored>;
    if (typeof value.baseUrl !== "string" || typeof value.apiKey !== "string" || typeof value.model !== "string") return null;
    return { provider: value.provider === "openai" ? "openai" : "groq", baseUrl: value.baseUrl, apiKey: value.apiKey, model: value.model };
  } catch {
    // Storage blocked or a foreign value: start empty.
    return null;
  }
}

function field(label: string, input: HTMLInputElement, hint?: string): HTMLElement {
  const id = uid("llm");
  input.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) input.setAttribute("aria-describedby", hintId);
  return h("div", { class: "llm-field" }, h("label", { for: id }, label), input, hint ? h("small", { id: hintId }, hint) : null);
}

export function llmSettings(): LlmSettingsElement {
  const stored = readStored();
  let current: BrowserLlmSettings | null = stored ? { baseUrl: stored.baseUrl, apiKey: stored.apiKey, model: stored.model } : null;

  const groq = h("input", { type: "radio", name: uid("llm-provider"), value: "groq" });
  const openai = h("input", { type: "radio", name: groq.name, value: "openai" });
  (stored?.provider === "openai" ? openai : groq).checked = true;
  const baseUrl = h("input", { type: "url", inputmode: "url", autocomplete: "off", spellcheck: "false", placeholder: DEFAULT_LOCAL_BASE_URL });
  baseUrl.value = stored?.provider === "openai" ? stored.baseUrl : DEFAULT_LOCAL_BASE_URL;
  const key = h("input", { type: "password", autocomplete: "off", spellcheck: "false" });
  key.value = stored?.apiKey ?? "";
  const model = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
  model.value = stored?.model ?? DEFAULT_GROQ_MODEL;
  const remember = h("input", { type: "checkbox" });
  remember.checked = stored !== null;
  const status = h("p", { class: "llm-status", role: "status" }, stored ? `Using ${stored.model} with your key (remembered in this browser).` : "");
  const server = h("p", { class: "llm-server", hidden: true });

  const baseField = field("Base URL", baseUrl, "An OpenAI-compatible API, e.g. Ollama's http://localhost:11434/v1");
  const showProvider = () => {
    baseField.hidden = !openai.checked;
  };
  showProvider();

  const provider = h(
    "fieldset",
    { class: "llm-provider" },
    h("legend", {}, "Provider"),
    h("label", {}, groq, " Groq"),
    h("label", {}, openai, " OpenAI-compatible server"),
  );
  provider.addEventListener("change", () => {
    showProvider();
    if (groq.checked && !model.value.trim()) model.value = DEFAULT_GROQ_MODEL;
  });

  const panel = h(
    "details",
    { class: "llm-settings", ...(stored ? { open: true } : {}) },
    h("summary", {}, "Rank with a language model"),
  ) as unknown as LlmSettingsElement;

  const form = h(
    "form",
    { class: "llm-form", novalidate: true },
    h("p", { class: "llm-privacy" }, "Your key stays in this browser and goes only to the provider you choose, never to this site."),
    server,
    provider,
    baseField,
    field("API key", key, "Optional for a local server"),
    field("Model", model),
    h("label", { class: "llm-remember" }, remember, " Remember in this browser"),
    h("div", { class: "llm-actions" }, h("button", { type: "submit" }, "Use this model"), h("button", { type: "button", class: "llm-forget" }, "Forget")),
    status,
  );
  panel.append(form);

  const emit = () => panel.dispatchEvent(new Event("change", { bubbles: true }));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next: BrowserLlmSettings = { baseUrl: openai.checked ? baseUrl.value.trim() : GROQ_OPENAI_BASE_URL, apiKey: key.value.trim(), model: model.value.trim() };
    try {
      chatCompletionsUrl(next.baseUrl);
      if (!next.model) throw new Error("choose a model");
      if (groq.checked && !next.apiKey) throw new Error("Groq needs a key (console.groq.com/keys)");
    } catch (error) {
      status.textContent = `Not used: ${(error as Error).message}.`;
      return;
    }
    current = next;
    try {
      if (remember.checked) globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify({ ...next, provider: openai.checked ? "openai" : "groq" }));
      else globalThis.localStorage?.removeItem(STORAGE_KEY);
    } catch {
      // Storage blocked: the settings still work for this visit.
    }
    status.textContent = `Using ${next.model} with your key${remember.checked ? " (remembered in this browser)" : " (until you leave this page)"}.`;
    emit();
  });

  form.querySelector(".llm-forget")!.addEventListener("click", () => {
    current = null;
    key.value = "";
    remember.checked = false;
    try {
      globalThis.localStorage?.removeItem(STORAGE_KEY);
    } catch {
      // nothing stored
    }
    status.textContent = "Forgotten: no key is kept.";
    emit();
  });

  Object.defineProperty(panel, "value", { get: () => current });
  panel.showServerModel = (name: string) => {
    server.hidden = false;
    server.textContent = `This server ranks your picks with ${name}; you need no key of your own. A key set here is used instead.`;
  };
  return panel;
}
