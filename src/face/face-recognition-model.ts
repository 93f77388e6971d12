import { faceRecognitionTopology } from '../dlib/face-model-topology.js';
import type { LossDescription, NetworkDescription } from '../dlib/network-description.js';
import { readDlibNetwork } from '../dlib/network-reader.js';
import { DlibNetwork, type BackendInfo, type EngineOptions, type PlacedConstantsImage } from '../engine/network.js';
import { DlibRand } from '../dlib/dlib-rand.js';
import { InputError, TopologyError } from '../errors.js';
import type { RgbImage } from '../image.js';
import { readModelSource, type ModelSource } from '../model-source.js';
import { loadImageChipExtractor, type ImageChipExtractor } from './image-chip-extractor.js';
import { jitterImage } from './jitter.js';

export { descriptorDistance, SAME_PERSON_THRESHOLD } from './descriptor-distance.js';

/** Side of the aligned face chips the model takes. */
export const FACE_CHIP_SIZE = 150;
/** Length of a face descriptor. */
export const DESCRIPTOR_LENGTH = 128;
/**
 * The most jitters a descriptor averages. dlib sets none; past a few hundred
 * the mean no longer changes, while the time grows with each (100,000 took
 * minutes and 5.6 GB when all of them were cut at once).
 */
export const MAX_JITTERS = 1000;

export interface FaceRecognitionOptions extends EngineOptions {
  /** This very model's constants as its network's placedConstants gave them, for the same options: a cache's (see DlibNetwork.create). */
  constants?: PlacedConstantsImage;
}

export interface DescriptorOptions {
  /**
   * With n > 1, the descriptor is the mean over n jittered copies of the chip
   * (dlib's `jitter_image`: slightly rotated, zoomed, shifted, half of them
   * mirrored), as dlib's `compute_face_descriptor(..., num_jitters)`. Each chip
   * draws from a fresh default dlib::rand, so the result is deterministic and
   * equals dlib's for a model's first jittered face. At most MAX_JITTERS (1000).
   */
  jitters?: number;
}

/** dlib's face recognition ResNet: a 150x150 aligned face chip in, a 128-D descriptor out. */
export interface FaceRecognitionModel {
  /** The descriptor of one chip (RGB or RGBA bytes, 150x150). */
  computeFaceDescriptor(chip: RgbImage, options?: DescriptorOptions): Promise<Float32Array>;
  /** The descriptors of many chips, run through the network in batches. */
  computeFaceDescriptors(chips: RgbImage[], options?: DescriptorOptions): Promise<Float32Array[]>;
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
export async function loadFaceRecognitionModel(source: ModelSource, options: FaceRecognitionOptions = {}): Promise<FaceRecognitionModel> {
  const description = readDlibNetwork(await readModelSource(source), { printout: faceRecognitionTopology() });
  metricLoss(description);
  const { constants, ...engineOptions } = options;
  return faceRecognitionModelOf(await DlibNetwork.create(description, engineOptions, constants), options);
}

/** The net's loss_metric (its distance threshold); a TopologyError for a net of another loss. */
function metricLoss({ loss }: NetworkDescription): Extract<LossDescription, { kind: 'loss_metric' }> {
  if (loss.kind !== 'loss_metric') throw new TopologyError('the face model must end in loss_metric', 0);
  return loss;
}

/**
 * The face model of a face recognition network already created (the CLI
 * creates it from a cache entry, without the model file); disposed if it is not one.
 */
export function faceRecognitionModelOf(network: DlibNetwork, options: Pick<EngineOptions, 'wasm'> = {}): FaceRecognitionModel {
  let distanceThreshold: number;
  try {
    ({ distanceThreshold } = metricLoss(network.description));
  } catch (error) {
    network.dispose();
    throw error;
  }
  let extractor: Promise<ImageChipExtractor> | undefined;

  /** The mean descriptor of n jittered copies: summed in float32 in crop order, times float(1/n), as dlib. */
  const jittered = async (chip: RgbImage, n: number): Promise<Float32Array> => {
    extractor ??= loadImageChipExtractor({ wasm: options.wasm });
    const chipExtractor = await extractor;
    const rand = new DlibRand();
    const mean = new Float32Array(DESCRIPTOR_LENGTH);
    // A batch of crops at a time: the memory held does not grow with n.
    for (let start = 0; start < n; start += network.batchSize) {
      const crops = Array.from({ length: Math.min(network.batchSize, n - start) }, () => jitterImage(chipExtractor, chip, rand));
      for (const out of await network.run(crops)) for (let i = 0; i < mean.length; i++) mean[i] += out[i];
    }
    const reciprocal = Math.fround(1 / n);
    for (let i = 0; i < mean.length; i++) mean[i] *= reciprocal;
    return mean;
  };
  const descriptors = async (chips: RgbImage[], { jitters = 1 }: DescriptorOptions = {}) => {
    if (!Number.isInteger(jitters) || jitters < 1 || jitters > MAX_JITTERS) {
      throw new InputError(`jitters must be an integer from 1 to ${MAX_JITTERS}, got ${String(jitters)}`);
    }
    if (jitters === 1) return network.run(chips);
    const result: Float32Array[] = [];
    for (const chip of chips) result.push(await jittered(chip, jitters));
    return result;
  };
  return {
    network,
    backend: network.backend,
    distanceThreshold,
    async computeFaceDescriptor(chip, descriptorOptions) {
      return (await descriptors([chip], descriptorOptions))[0];
    },
    computeFaceDescriptors: descriptors,
    dispose() {
      network.dispose();
      void extractor?.then((e) => e.dispose());
    },
  };
}
