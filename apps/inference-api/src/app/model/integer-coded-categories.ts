/**
 * A serving copy of a model whose categorical inputs take integer codes instead of text.
 *
 * Why: onnxruntime-node copies a string tensor into native memory one JavaScript string at a time,
 * on the event loop, which for a large batch costs several times the model's own kernels
 * (PERFORMANCE.md); int64 tensors are handed over as one buffer. The category → code lookup costs nothing
 * extra, since serving already looks every category up to warn about unknown ones.
 *
 * What changes, per eligible input: the graph input's element type becomes int64, and its
 * OneHotEncoder's `cats_strings` [c₀ … c_k−1] becomes `cats_int64s` [0 … k−1]. Serving feeds the
 * position of the value in `cats_strings`, or −1 for anything else (missing, unknown), which the
 * encoder turns into all zeros exactly as it does an unknown string, so the encoder's output, and
 * everything after it, is unchanged. Every other byte of the model is copied as it is. The model in
 * the registry is not touched; MLflow's own loader keeps seeing string inputs.
 *
 * An input is eligible only when nothing else can see its text: it is a string tensor, read by
 * exactly one node, an `ai.onnx.ml` OneHotEncoder with distinct `cats_strings` and the default
 * `zeros = 1`, and it is not also a graph output or an initializer; and no node of the graph holds a
 * subgraph (which could read any outer value). Other exporters' graphs (skl2onnx concatenates
 * columns before encoding) keep their string inputs.
 * Operator: https://onnx.ai/onnx/operators/onnx_aionnxml_OneHotEncoder.html
 */
import { ProtobufWriter } from '@churn/churn-pipeline';

import { readGraphSummary } from './onnx-categories';
import { concatChunks, forEachField, lastTextOf, OnnxElementType, OnnxField, rewriteFields } from './onnx-wire';

/** Code fed for a value outside the encoder's categories (missing or unknown): encoded as all zeros. */
export const UNKNOWN_CATEGORY_CODE = -1;

/** `AttributeProto.AttributeType.INTS`. */
const ATTRIBUTE_TYPE_INTS = 7;
const ATTRIBUTE_TYPE_FIELD = 20;
const ATTRIBUTE_INTS_FIELD = 8;

export interface IntegerCodedModel {
  /** The rewritten model. */
  onnxBytes: Uint8Array;
  /** Per rewritten input: category text → the code to feed. */
  codesByInput: Map<string, ReadonlyMap<string, number>>;
}

/**
 * The integer-coded serving copy of a model, or `undefined` when no input is eligible.
 * @throws {OnnxDecodeError} when the bytes are not a well-formed protobuf message
 */
export function integerCodedCategories(onnxBytes: Uint8Array): IntegerCodedModel | undefined {
  const graph = readGraphSummary(onnxBytes);
  if (graph === undefined || graph.nodes.some((node) => node.hasSubgraph)) return undefined;
  const readers = new Map<string, number[]>();
  graph.nodes.forEach((node, index) => {
    for (const input of node.inputs) readers.set(input, [...(readers.get(input) ?? []), index]);
  });
  const elsewhere = new Set([...graph.outputs, ...graph.initializers]);
  const encoderOf = new Map<string, number>();
  const codesByInput = new Map<string, ReadonlyMap<string, number>>();
  for (const input of graph.inputs) {
    const nodeIndexes = readers.get(input.name) ?? [];
    if (input.elemType !== OnnxElementType.STRING || elsewhere.has(input.name) || nodeIndexes.length !== 1) continue;
    const encoder = graph.nodes[nodeIndexes[0]];
    const categories = encoder.catsStrings;
    if (
      encoder.opType !== 'OneHotEncoder' ||
      encoder.domain !== 'ai.onnx.ml' ||
      encoder.inputs.length !== 1 ||
      !categories
    )
      continue;
    if (encoder.zeros !== undefined && encoder.zeros !== 1) continue;
    if (categories.length === 0 || new Set(categories).size !== categories.length) continue;
    encoderOf.set(input.name, nodeIndexes[0]);
    codesByInput.set(input.name, new Map(categories.map((category, code) => [category, code])));
  }
  if (codesByInput.size === 0) return undefined;
  const rewrittenNodes = new Map(
    [...encoderOf].map(([input, nodeIndex]) => [nodeIndex, codesByInput.get(input)?.size ?? 0]),
  );
  return { onnxBytes: rewriteModel(onnxBytes, new Set(codesByInput.keys()), rewrittenNodes), codesByInput };
}

/** Copies the model, replacing the graph. */
function rewriteModel(model: Uint8Array, inputs: ReadonlySet<string>, nodes: ReadonlyMap<number, number>): Uint8Array {
  return rewriteFields(model, (field, value) =>
    field === OnnxField.MODEL_GRAPH ? rewriteGraph(value, inputs, nodes) : undefined,
  );
}

function rewriteGraph(
  graph: Uint8Array,
  inputs: ReadonlySet<string>,
  nodes: ReadonlyMap<number, number>,
): Uint8Array | undefined {
  let nodeIndex = 0;
  return rewriteFields(graph, (field, value) => {
    if (field === OnnxField.GRAPH_NODE) {
      const categoryCount = nodes.get(nodeIndex++);
      return categoryCount === undefined ? undefined : rewriteEncoder(value, categoryCount);
    }
    if (field === OnnxField.GRAPH_INPUT && inputs.has(nameOf(value))) return rewriteInputType(value);
    return undefined;
  });
}

/** The OneHotEncoder with `cats_int64s` [0 … count−1] in place of `cats_strings`. */
function rewriteEncoder(node: Uint8Array, categoryCount: number): Uint8Array {
  return rewriteFields(node, (field, value) => {
    if (field !== OnnxField.NODE_ATTRIBUTE || nameOf(value) !== 'cats_strings') return undefined;
    return new ProtobufWriter()
      .string(OnnxField.ATTRIBUTE_NAME, 'cats_int64s')
      .int(ATTRIBUTE_TYPE_FIELD, ATTRIBUTE_TYPE_INTS)
      .packedInts(
        ATTRIBUTE_INTS_FIELD,
        Array.from({ length: categoryCount }, (_, code) => code),
      )
      .finish();
  });
}

/** ValueInfo → TypeProto → TypeProto.Tensor → elem_type = INT64; the shape stays. */
function rewriteInputType(valueInfo: Uint8Array): Uint8Array {
  return rewriteFields(valueInfo, (field, type) =>
    field !== OnnxField.VALUE_INFO_TYPE
      ? undefined
      : rewriteFields(type, (typeField, tensorType) =>
          typeField !== OnnxField.TYPE_TENSOR_TYPE
            ? undefined
            : concatChunks([
                new ProtobufWriter().int(OnnxField.TENSOR_TYPE_ELEM_TYPE, OnnxElementType.INT64).finish(),
                withoutField(tensorType, OnnxField.TENSOR_TYPE_ELEM_TYPE),
              ]),
        ),
  );
}

function withoutField(message: Uint8Array, dropped: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  forEachField(message, ({ field, raw }) => {
    if (field !== dropped) chunks.push(raw);
  });
  return concatChunks(chunks);
}

/** The `name` (field 1) of a ValueInfoProto or an AttributeProto. */
function nameOf(message: Uint8Array): string {
  return lastTextOf(message, OnnxField.VALUE_INFO_NAME);
}
