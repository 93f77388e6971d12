import { loadNetwork } from '../load-network.js';
import { parseArgs, threadsOption, UsageError } from './args.js';
import { forEachImage } from './each-image.js';
import { readRegularFile } from './regular-file.js';
import { readModelFile } from './model-file.js';

/**
 * `run MODEL.dat INPUT... [--printout FILE] [--threads N]`: any dlib network
 * the engine runs, on each image: one JSON line per image with the output of
 * the layer under the loss, flattened in dlib's order (NCHW), and for a
 * classifier (loss_multiclass_log) its label.
 */
export async function runCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ['--printout', '--threads'], ['--accept-damaged-images']);
  const [modelPath, ...inputs] = parsed.positional;
  if (modelPath === undefined) throw new UsageError('run needs MODEL.dat and the images to run it on');
  if (inputs.length === 0) throw new UsageError('no images to run the net on');
  const threads = threadsOption(parsed);
  const printoutPath = parsed.options.get('--printout') as string | undefined;
  const printout = printoutPath === undefined ? undefined : (await readRegularFile(printoutPath)).toString('utf8');
  const network = await readModelFile(modelPath, (bytes) => loadNetwork(bytes, { printout, threads }));
  const classifier = network.description.loss.kind === 'loss_multiclass_log';
  try {
    const failures = await forEachImage(
      inputs,
      async (image, file) => {
        const line = classifier
          ? await network.classify([image]).then(([{ logits, label }]) => ({ image: file, output: Array.from(logits), label }))
          : await network.run([image]).then(([output]) => ({ image: file, output: Array.from(output) }));
        process.stdout.write(`${JSON.stringify(line)}\n`);
      },
      { allowDamaged: parsed.options.has('--accept-damaged-images') },
    );
    return failures === 0 ? 0 : 1;
  } finally {
    network.dispose();
  }
}
