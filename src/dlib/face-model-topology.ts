import type { Topology, TopologyLayer } from './printout.js';

type Spec = Omit<TopologyLayer, 'index'>;

const s = (v: number) => String(v);
const con = (n: number, k: number, stride: number): Spec => ({
  kind: 'con',
  params: {
    num_filters: s(n),
    nr: s(k),
    nc: s(k),
    stride_y: s(stride),
    stride_x: s(stride),
    // dlib's con_ default padding: k/2 at stride 1, none otherwise.
    padding_y: s(stride === 1 ? k >> 1 : 0),
    padding_x: s(stride === 1 ? k >> 1 : 0),
  },
});
const pool = (kind: string, k: number, stride: number): Spec => ({
  kind,
  params: { nr: s(k), nc: s(k), stride_y: s(stride), stride_x: s(stride), padding_y: '0', padding_x: '0' },
});
const plain = (kind: string, id?: number): Spec => ({ kind, id, params: {} });
const affine = plain('affine');
const relu = plain('relu');

// The templates of dlib's dnn_face_recognition_ex.cpp, each listed from its
// output side down, as dlib's printout numbers layers.
const block = (n: number, stride: number): Spec[] => [affine, con(n, 3, 1), relu, affine, con(n, 3, stride)];
const ares = (n: number): Spec[] => [relu, plain('add_prev', 1), ...block(n, 1), plain('tag', 1)];
const aresDown = (n: number): Spec[] => [
  relu,
  plain('add_prev', 2),
  pool('avg_pool', 2, 2),
  plain('skip', 1),
  plain('tag', 2),
  ...block(n, 2),
  plain('tag', 1),
];

/**
 * The topology of `dlib_face_recognition_resnet_model_v1.dat` (dlib's
 * `anet_type`), so that the face model reads without a printout.
 */
export function faceRecognitionTopology(): Topology {
  const specs: Spec[] = [
    { kind: 'fc_no_bias', params: { num_outputs: '128' } },
    { kind: 'avg_pool', params: { nr: '0', nc: '0', stride_y: '1', stride_x: '1', padding_y: '0', padding_x: '0' } },
    ...aresDown(256),
    ...ares(256),
    ...ares(256),
    ...aresDown(256),
    ...ares(128),
    ...ares(128),
    ...aresDown(128),
    ...ares(64),
    ...ares(64),
    ...ares(64),
    ...aresDown(64),
    ...ares(32),
    ...ares(32),
    ...ares(32),
    pool('max_pool', 3, 2),
    relu,
    affine,
    con(32, 7, 2),
  ];
  const layers = specs.map((spec, i) => ({ ...spec, index: i + 1 }));
  return {
    loss: { index: 0, kind: 'loss_metric', params: { margin: '0.04', distance_threshold: '0.6' } },
    layers,
    input: {
      index: layers.length + 1,
      kind: 'input_rgb_image_sized',
      params: { nr: '150', nc: '150' },
      means: [122.782, 117.001, 104.298],
    },
  };
}
