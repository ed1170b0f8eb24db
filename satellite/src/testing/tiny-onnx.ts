import { writeFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;

/**
 * Which tiny graph {@link writeTinyOnnx} writes:
 * - `linear`: `y = x · W + b`, `x` float32 `[N, 4]` → `y` float32 `[N, 2]` ({@link TINY_LINEAR});
 * - `multi-io`: `ids` int64 `[N, 3]` and `scale` float32 `[1]` → `doubled = ids + ids` (int64
 *   `[N, 3]`) and `scaled = float(ids) · scale` (float32 `[N, 3]`).
 */
export type TinyOnnxKind = 'linear' | 'multi-io';

/** The weights of the `linear` graph: `W` is `[4, 2]` row-major, `b` is `[2]`. */
export const TINY_LINEAR = {
  W: [
    [0.5, -1],
    [1, 0.25],
    [-2, 1.5],
    [0.75, 2],
  ],
  b: [0.1, -0.2],
} as const;

/** What the `linear` graph computes for `x` (`[N, 4]`), in float32 arithmetic like onnxruntime. */
export function tinyLinearReference(x: readonly (readonly number[])[]): number[][] {
  const f = Math.fround;
  return x.map((row) =>
    [0, 1].map((j) => {
      let acc = 0;
      for (let i = 0; i < 4; i++) acc = f(acc + f(f(row[i]!) * f(TINY_LINEAR.W[i]![j]!)));
      return f(acc + f(TINY_LINEAR.b[j]!));
    }),
  );
}

/** Encodes one of the tiny graphs as an ONNX `ModelProto` (IR 8, opset 13). */
export function encodeTinyOnnx(kind: TinyOnnxKind): Uint8Array {
  const graph = kind === 'linear' ? linearGraph() : multiIoGraph();
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'apogee-testing',
    producerVersion: '1',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Writes a tiny valid ONNX model of `kind` to `path` (see {@link TinyOnnxKind}). */
export async function writeTinyOnnx(path: string, kind: TinyOnnxKind = 'linear'): Promise<void> {
  await writeFile(path, encodeTinyOnnx(kind));
}

function valueInfo(
  name: string,
  elemType: number,
  dims: (number | string)[],
): onnxProto.onnx.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            onnx.TensorShapeProto.Dimension.create(
              typeof d === 'number' ? { dimValue: d } : { dimParam: d },
            ),
          ),
        }),
      }),
    }),
  });
}

function linearGraph(): onnxProto.onnx.GraphProto {
  return onnx.GraphProto.create({
    name: 'tiny_linear',
    node: [
      onnx.NodeProto.create({
        opType: 'MatMul',
        input: ['x', 'W'],
        output: ['xw'],
        name: 'matmul',
      }),
      onnx.NodeProto.create({ opType: 'Add', input: ['xw', 'b'], output: ['y'], name: 'add' }),
    ],
    initializer: [
      onnx.TensorProto.create({
        name: 'W',
        dims: [4, 2],
        dataType: T.FLOAT,
        floatData: TINY_LINEAR.W.flat(),
      }),
      onnx.TensorProto.create({
        name: 'b',
        dims: [2],
        dataType: T.FLOAT,
        floatData: [...TINY_LINEAR.b],
      }),
    ],
    input: [valueInfo('x', T.FLOAT, ['N', 4])],
    output: [valueInfo('y', T.FLOAT, ['N', 2])],
  });
}

function multiIoGraph(): onnxProto.onnx.GraphProto {
  return onnx.GraphProto.create({
    name: 'tiny_multi_io',
    node: [
      onnx.NodeProto.create({
        opType: 'Add',
        input: ['ids', 'ids'],
        output: ['doubled'],
        name: 'double',
      }),
      onnx.NodeProto.create({
        opType: 'Cast',
        input: ['ids'],
        output: ['ids_f'],
        name: 'cast',
        attribute: [
          onnx.AttributeProto.create({
            name: 'to',
            type: onnx.AttributeProto.AttributeType.INT,
            i: T.FLOAT,
          }),
        ],
      }),
      onnx.NodeProto.create({
        opType: 'Mul',
        input: ['ids_f', 'scale'],
        output: ['scaled'],
        name: 'scale',
      }),
    ],
    input: [valueInfo('ids', T.INT64, ['N', 3]), valueInfo('scale', T.FLOAT, [1])],
    output: [valueInfo('doubled', T.INT64, ['N', 3]), valueInfo('scaled', T.FLOAT, ['N', 3])],
  });
}
