import { InputError } from '../errors.js';
import { loadNetwork } from '../load-network.js';
import { isMmodDetector } from '../loss/detect-objects.js';
import { parseArgs, threadsOption, upsampleOption, UsageError } from './args.js';
import { forEachImage } from './each-image.js';
import { readModelFile } from './model-file.js';

/**
 * `detect MODEL.dat IMAGE... [--upsample 0] [--threads N]`: one JSON line per
 * image, `{"image", "detections": [{"rect", "confidence", "label"}]}`, with any
 * dlib MMOD detector (the CNN face detector, the vehicle detectors), as dlib's
 * `net(img)` after `--upsample` doublings (default 0, as dlib's).
 */
export async function detectCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ['--upsample', '--threads'], ['--accept-damaged-images']);
  const [modelFile, ...images] = parsed.positional;
  if (modelFile === undefined) throw new UsageError('detect needs MODEL.dat and the images');
  if (images.length === 0) throw new UsageError('no images');
  const upsample = upsampleOption(parsed, 0);
  const threads = threadsOption(parsed);
  const network = await readModelFile(modelFile, (bytes) => loadNetwork(bytes, { threads }));
  try {
    if (!isMmodDetector(network.description)) {
      const { loss, input } = network.description;
      throw new InputError(
        `${modelFile} is not a dlib MMOD detector (loss_mmod over input_rgb_image_pyramid): its net is ${loss.kind} over ${input.kind}`,
      );
    }
    const failures = await forEachImage(
      images,
      async (image, file) => {
        const detections = await network.detect(image, { upsample });
        process.stdout.write(`${JSON.stringify({ image: file, detections })}\n`);
      },
      { allowDamaged: parsed.options.has('--accept-damaged-images') },
    );
    return failures === 0 ? 0 : 1;
  } finally {
    network.dispose();
  }
}
