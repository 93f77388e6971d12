import type { BoxOverlapTest, DetectorWindow, MmodOptions } from './network-description.js';
import type { DlibByteReader } from './serialization.js';

/** The smallest a serialized detector window can be: version, width, height, label length. */
const MIN_WINDOW_BYTES = 8;

function overlapTest(r: DlibByteReader, what: string): BoxOverlapTest {
  const start = r.offset;
  const test = {
    iouThreshold: r.finiteReal(`${what} iou_thresh`),
    percentCoveredThreshold: r.finiteReal(`${what} percent_covered_thresh`),
  };
  // dlib's test_box_overlap asserts both in [0, 1].
  if (!(test.iouThreshold >= 0 && test.iouThreshold <= 1 && test.percentCoveredThreshold >= 0 && test.percentCoveredThreshold <= 1)) {
    r.fail(`${what} thresholds ${test.iouThreshold}, ${test.percentCoveredThreshold} are not both in [0, 1]`, start);
  }
  return test;
}

function detectorWindows(r: DlibByteReader, version: number): DetectorWindow[] {
  const start = r.offset;
  if (version === 1) return [{ width: r.count('detector width'), height: r.count('detector height'), label: '' }];
  const count = r.count('detector_windows count');
  if (count * MIN_WINDOW_BYTES > r.remaining) r.fail(`${count} detector windows cannot fit in the ${r.remaining} bytes left`, start);
  const windows: DetectorWindow[] = [];
  for (let i = 0; i < count; i++) {
    const windowVersion = r.version('detector_window_details', 1, 2);
    const width = r.count(`detector window ${i} width`);
    const height = r.count(`detector window ${i} height`);
    windows.push({ width, height, label: windowVersion === 2 ? r.string(`detector window ${i} label`) : '' });
  }
  return windows;
}

/**
 * dlib's `mmod_options` (loss.h): version, detector windows, the losses and
 * IoU threshold of training, the NMS and ignore overlap testers, then (from
 * version 3) whether the input is a pyramid and (from version 4) the
 * bounding box regression fields.
 */
export function readMmodOptions(r: DlibByteReader): MmodOptions {
  const start = r.offset;
  const version = r.version('mmod_options', 1, 2, 3, 4);
  const windows = detectorWindows(r, version);
  if (windows.length === 0) r.fail('mmod_options has no detector window', start);
  for (const w of windows) {
    if (w.width === 0 || w.height === 0) r.fail(`detector window ${w.width}x${w.height} is empty`, start);
  }
  const lossPerFalseAlarm = r.finiteReal('loss_per_false_alarm');
  const lossPerMissedTarget = r.finiteReal('loss_per_missed_target');
  const truthMatchIouThreshold = r.finiteReal('truth_match_iou_threshold');
  const overlapsNms = overlapTest(r, 'overlaps_nms');
  const overlapsIgnore = overlapTest(r, 'overlaps_ignore');
  let assumeImagePyramid = true;
  if (version >= 3) {
    const at = r.offset;
    const value = r.byte('assume_image_pyramid');
    if (value > 1) r.fail(`assume_image_pyramid is ${value}, not 0 (no) or 1 (yes)`, at);
    assumeImagePyramid = value === 1;
  }
  const useBoundingBoxRegression = version >= 4 ? r.bool('use_bounding_box_regression') : false;
  const bboxRegressionLambda = version >= 4 ? r.finiteReal('bbr_lambda') : 100;
  return {
    detectorWindows: windows,
    lossPerFalseAlarm,
    lossPerMissedTarget,
    truthMatchIouThreshold,
    overlapsNms,
    overlapsIgnore,
    assumeImagePyramid,
    useBoundingBoxRegression,
    bboxRegressionLambda,
  };
}
