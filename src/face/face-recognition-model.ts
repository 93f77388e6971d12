import { faceRecognitionTopology } from '../dlib/face-model-topology.js';
import { readDlibNetwork } from '../dlib/network-reader.js';
import { DlibNetwork, type BackendInfo, type EngineOptions } from '../engine/network.js';
import { TopologyError } from '../errors.js';
import type { RgbImage } from '../image.js';
import { readModelSource, type ModelSource } from '../model-source.js';

/** Side of the aligned face chips the model takes. */
export const FACE_CHIP_SIZE = 150;
/** Length of a face descriptor. */
export const DESCRIPTOR_LENGTH = 128;
/** dlib's threshold: two descriptors closer than this are the same person. */
export const SAME_PERSON_THRESHOLD = 0.6;

export type FaceRecognitionOptions = EngineOptions;

/** dlib's face recognition ResNet: a 150x150 aligned face chip in, a 128-D descriptor out. */
export interface FaceRecognitionModel {
  /** The descriptor of one chip (RGB or RGBA bytes, 150x150). */
  computeFaceDescriptor(chip: RgbImage): Promise<Float32Array>;
  /** The descriptors of many chips, run through the network in batches. */
  computeFaceDescriptors(chips: RgbImage[]): Promise<Float32Array[]>;
  /** The threshold stored in the model file (0.6 for dlib's model). */
  readonly distanceThreshold: number;
  readonly backend: BackendInfo;
  /** The underlying network, for layer outputs and FLOP counts. */
  readonly network: DlibNetwork;
  dispose(): void;
}

/**
 * Loads `dlib_face_recognition_resnet_model_v1.dat` from its bytes or a source of them (dlib
 * 19.x files, and the older tags of dlib.net's 2017 file).
 */
export async function loadFaceRecognitionModel(
  source: ModelSource, options: FaceRecognitionOptions = {},
): Promise<FaceRecognitionModel> {
  const description = readDlibNetwork(await readModelSource(source), { printout: faceRecognitionTopology() });
  if (description.loss.kind !== 'loss_metric') throw new TopologyError('the face model must end in loss_metric', 0);
  const network = await DlibNetwork.create(description, options);
  return {
    network,
    backend: network.backend,
    distanceThreshold: description.loss.distanceThreshold,
    async computeFaceDescriptor(chip) {
      return (await network.run([chip]))[0];
    },
    computeFaceDescriptors(chips) {
      return network.run(chips);
    },
    dispose() {
      network.dispose();
    },
  };
}

/**
 * Euclidean distance between two descriptors, in float32 as dlib's
 * `length(a - b)` computes it, so that comparisons with 0.6 decide as dlib's do.
 */
export function descriptorDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`descriptors differ in length: ${a.length} and ${b.length}`);
  const f = Math.fround;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = f(a[i] - b[i]);
    sum = f(sum + f(d * d));
  }
  return f(Math.sqrt(sum));
}
