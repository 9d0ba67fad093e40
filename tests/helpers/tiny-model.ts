// Builds a tiny BERT-shaped feature-extraction model on disk so the real transformers.js
// loading, tokenising and pooling code runs in tests without any download.
// The ONNX graph is a single Gather: each token id picks its row of an embedding table,
// so the expected sentence vector can be computed by hand from `table`.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

export const TINY_MODEL_NAME = "test/tiny-bert";

const SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;
const WORDS = ["a", "detective", "hunts", "killer", "in", "the", "city", "space", "crew", "ship", "lost", "love"];

export interface TinyModel {
  /** Directory to use as the models directory (`modelsDir`). */
  dir: string;
  /** Model name inside `dir`. */
  name: string;
  dims: number;
  vocab: string[];
  /** Row per token id, `dims` values each. */
  table: Float32Array;
  /** Token ids the tokenizer gives for `text`, [CLS] and [SEP] included (known words only). */
  tokenIds(text: string): number[];
}

// Deterministic, varied values; no two rows are parallel.
function embeddingTable(vocabSize: number, dims: number): Float32Array {
  const table = new Float32Array(vocabSize * dims);
  for (let t = 0; t < vocabSize; t++) {
    for (let i = 0; i < dims; i++) table[t * dims + i] = Math.sin((t + 1) * (i + 1) * 0.7) + (t === i ? 1 : 0);
  }
  return table;
}

function onnxModel(vocabSize: number, dims: number, table: Float32Array): Uint8Array {
  const T = onnx.TensorProto.DataType;
  const dim = (d: string | number) => (typeof d === "string" ? { dimParam: d } : { dimValue: d });
  const tensor = (name: string, elemType: number, dims: (string | number)[]) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map(dim) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "marquee-tests",
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "tiny-bert",
      node: [
        {
          opType: "Gather",
          input: ["embeddings", "input_ids"],
          output: ["last_hidden_state"],
          attribute: [{ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
        },
      ],
      initializer: [
        {
          name: "embeddings",
          dims: [vocabSize, dims],
          dataType: T.FLOAT,
          rawData: new Uint8Array(table.buffer, table.byteOffset, table.byteLength),
        },
      ],
      input: [
        tensor("input_ids", T.INT64, ["batch", "seq"]),
        tensor("attention_mask", T.INT64, ["batch", "seq"]),
        tensor("token_type_ids", T.INT64, ["batch", "seq"]),
      ],
      output: [tensor("last_hidden_state", T.FLOAT, ["batch", "seq", dims])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

function tokenizerJson(vocab: string[]) {
  const ids = Object.fromEntries(vocab.map((token, id) => [token, id]));
  const special = (token: string) => ({ id: token, ids: [ids[token]], tokens: [token] });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((content) => ({
      id: ids[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: { "[CLS]": special("[CLS]"), "[SEP]": special("[SEP]") },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: ids,
    },
  };
}

/** Writes the model into a fresh temp directory (or `parent` when given). */
export async function buildTinyModel(parent?: string, dims = 8): Promise<TinyModel> {
  const dir = parent ?? (await mkdtemp(path.join(tmpdir(), "marquee-tiny-model-")));
  const vocab = [...SPECIAL, ...WORDS];
  const table = embeddingTable(vocab.length, dims);
  const modelDir = path.join(dir, TINY_MODEL_NAME);
  await mkdir(path.join(modelDir, "onnx"), { recursive: true });
  await writeFile(path.join(modelDir, "onnx", "model.onnx"), onnxModel(vocab.length, dims, table));
  await writeFile(
    path.join(modelDir, "config.json"),
    JSON.stringify({ model_type: "bert", architectures: ["BertModel"], hidden_size: dims, vocab_size: vocab.length }),
  );
  await writeFile(path.join(modelDir, "tokenizer.json"), JSON.stringify(tokenizerJson(vocab)));
  await writeFile(
    path.join(modelDir, "tokenizer_config.json"),
    JSON.stringify({
      tokenizer_class: "BertTokenizer",
      do_lower_case: true,
      model_max_length: 512,
      pad_token: "[PAD]",
      unk_token: "[UNK]",
      cls_token: "[CLS]",
      sep_token: "[SEP]",
      mask_token: "[MASK]",
    }),
  );
  const index = new Map(vocab.map((token, id) => [token, id]));
  const tokenIds = (text: string) => [
    index.get("[CLS]")!,
    ...(text.toLowerCase().match(/\w+|[^\w\s]/g) ?? []).map((w) => index.get(w) ?? index.get("[UNK]")!),
    index.get("[SEP]")!,
  ];
  return { dir, name: TINY_MODEL_NAME, dims, vocab, table, tokenIds };
}
