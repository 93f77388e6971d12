import { genderClassifierTopology } from '../dlib/gender-classifier-topology.js';
import { readDlibNetwork } from '../dlib/network-reader.js';
import { type BackendInfo, DlibNetwork, type EngineOptions } from '../engine/network.js';
import type { Point } from '../geometry/point-transforms.js';
import type { RgbImage } from '../image.js';
import { readModelSource, type ModelSource } from '../model-source.js';
import { type ChipDetails, getFaceChipDetails } from './face-chip.js';

/** Side of the chips the gender classifier takes. */
export const GENDER_CHIP_SIZE = 32;
/** The padding of its chips: get_face_chip_details' default, which dlib-models' gender example keeps. */
export const GENDER_CHIP_PADDING = 0.2;
/** The classifier's labels, by class index (the order of dlib-models' `dnn_gender_classifier_v1_ex.cpp`). */
export const GENDER_LABELS = ['female', 'male'] as const;

export interface GenderEstimate {
  label: (typeof GENDER_LABELS)[number];
  /** The softmax probability of that label (0.5 to 1). */
  probability: number;
}

/** dlib-models' `dnn_gender_classifier_v1.dat`: a 32x32 aligned face chip in, female or male out. */
export interface GenderClassifier {
  /** The gender of one chip (RGB or RGBA bytes, 32x32, cut where `genderChipDetails` says). */
  classify(chip: RgbImage): Promise<GenderEstimate>;
  /** The genders of many chips, run through the network in batches. */
  classifyChips(chips: RgbImage[]): Promise<GenderEstimate[]>;
  readonly backend: BackendInfo;
  /** The underlying network: `network.classify` gives both probabilities and the logits. */
  readonly network: DlibNetwork;
  dispose(): void;
}

/** Where the classifier's chip of a face is: dlib's `get_face_chip_details(shape, 32)` (padding 0.2). */
export function genderChipDetails(landmarks: Point[]): ChipDetails {
  return getFaceChipDetails(landmarks, GENDER_CHIP_SIZE, GENDER_CHIP_PADDING);
}

/**
 * Loads `dnn_gender_classifier_v1.dat` from its bytes or a source of them
 * (read with its net's topology: a TopologyError for any other net).
 */
export async function loadGenderClassifier(source: ModelSource, options: EngineOptions = {}): Promise<GenderClassifier> {
  const description = readDlibNetwork(await readModelSource(source), { printout: genderClassifierTopology() });
  const network = await DlibNetwork.create(description, options);
  const classifyChips = async (chips: RgbImage[]) =>
    (await network.classify(chips)).map(({ label, probabilities }) => ({ label: GENDER_LABELS[label], probability: probabilities[label] }));
  return {
    network,
    backend: network.backend,
    async classify(chip) {
      return (await classifyChips([chip]))[0];
    },
    classifyChips,
    dispose() {
      network.dispose();
    },
  };
}
