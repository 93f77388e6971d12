#!/usr/bin/env node
import module from 'node:module';
import { join } from 'node:path';
import { UsageError } from './args.js';
import { cacheFolder } from './cache-folder.js';

// Node 22's cache of compiled code: the CLI's modules compiled once, not on every start (10 ms of each).
// Node 20 has none. Before any import below that compiles much: those are all dynamic.
const compiledCodeFolder = cacheFolder();
if (compiledCodeFolder !== undefined) module.enableCompileCache?.(join(compiledCodeFolder, 'node-compile-cache'));

// A reader that stops reading (`dlib-wasm faces ... | head -1`) ends the run, quietly, with the
// status of a process killed by SIGPIPE (128 + 13) as coreutils' tools end: not with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(141);
});

const USAGE = `usage: dlib-wasm <command> [options]

  cluster <photos or folders...> --out DIR [--detector hog|cnn] [--upsample 1] [--threshold 0.6] [--landmarks model.dat]
          [--quiet] [--threads N]
      finds every face, groups them by person; writes DIR/clusters.json, DIR/index.html,
      DIR/contact-sheet.png (a row per person) and the chips. DIR is written in full beside it
      and then replaces it: an earlier report is replaced whole, an interrupted run leaves DIR
      as it was, and a folder that is not a cluster report is never replaced
  faces photo.jpg [...] [--detector hog|cnn] [--upsample 1] [--landmarks model.dat] [--chips DIR] [--gender] [--threads N]
      prints one JSON line per face: {"file", "rect", "confidence", "landmarks", "descriptor"};
      --chips writes each face's chip as DIR/<photo name>_f00.png, _f01... (a photo name that an
      earlier photo already has becomes <name>-2, <name>-3...) and adds its "chip" to the line;
      --gender adds "gender": {"label": "female" or "male", "probability"} (the bundled
      dnn_gender_classifier_v1.dat from dlib-models, on the face's 32x32 chip)
  recognize KNOWN_DIR <photos or folders...> [--tolerance 0.6] [--show-distance] [--threads N]
            [--detector hog|cnn] [--upsample 1] [--landmarks model.dat]
      tells who each face is, as face_recognition's CLI: the known people are KNOWN_DIR's
      sub-folders (each a person, every photo in it) and photos (the name without extension).
      Prints path,name per face (path,name,distance with --show-distance), the name of the
      nearest known face, or unknown_person when none is within --tolerance (distance <= it);
      path,no_persons_found for a photo without a face. The first face of a known photo is used
      (a warning says when it has others or none). --threads N: threads for finding and
      describing faces (default a thread per core)
  detect MODEL.dat IMAGE... [--upsample 0] [--threads N]
      runs a dlib MMOD detector (mmod_human_face_detector.dat, the vehicle detectors) on each image,
      as dlib's net(img): one JSON line per image, {"image", "detections": [{"rect", "confidence",
      "label"}]}, rects in the image's pixels (dlib's inclusive bounds), highest confidence first
  index <photos or folders...> --db LIBRARY [--chips] [--batch 16] [--detector hog|cnn] [--threads N] [--upsample 1] [--quiet]
      adds the faces of every photo not yet in the photo library (or changed since) to it: LIBRARY is
      a folder (PGlite, created if need be) or postgres://... (a server several indexers may share).
      A batch of photos is committed at a time: a killed run resumes where it stopped.
      --chips keeps each face's chip (for the report)
  people --db LIBRARY [--threshold 0.6] [--same-photo-different-people] [--recluster] [--neighbours K (128; 32 past 50,000 faces)] [--threads N] [--exact]
      groups the library's faces into people with chinese whispers on the faces' nearest-neighbour
      graph; new faces join the person of their nearest face under the threshold (--recluster
      clusters every face again); people keep their ids and names. Prints id<TAB>faces<TAB>name
  name --db LIBRARY PERSON_ID NAME
      names a person
  report --db LIBRARY --out DIR [--threshold 0.6] [--margin 0.1]
      writes DIR/index.html: a row of chips per person, and people who may be one (their nearest
      faces closer than the threshold plus the margin)
  descriptors [--model file.dat] [--threads N] chip.png [chip.jpg ...]
      prints one JSON line per 150x150 face chip: {"file": "...", "descriptor": [128 numbers]}
  bench [--threads N] [--batch B] [--runs R] [--model file.dat] [--json]
      times the face model on the example chips (median ms per face)
  bench --peers [--quick]
      the face network next to the peers installed in this folder's project (onnxruntime-web,
      @vladmandic/face-api on tfjs-wasm, onnxruntime-node) and dlib native where it builds, in about
      a minute; says which peers are missing and how to install them. Runs from a checkout of the
      repository (bench/ is not in the npm package). --quick: a few runs at batch 8, 1 thread, no dlib native
  run MODEL.dat image.png [...] [--printout FILE] [--threads N]
      runs any dlib net the engine runs (e.g. dlib-models' gender classifier or DenseNet) on each
      image; prints one JSON line per image: {"image", "output": [the output of the layer under
      the loss, flattened in dlib's order]} and, for a classifier (loss_multiclass_log), "label"
      (the index of the largest output). --printout as for export-onnx
  export-onnx MODEL.dat OUT.onnx [--printout FILE] [--input-size RxC]
      writes the net as an ONNX model (opset 17): input "input", N x 3 x rows x cols RGB values
      0-255; output "output", the output of the layer under dlib's loss (e.g. the descriptor).
      --printout is dlib's printout of the net (std::cout << net), needed for nets other than the
      face model that use tag, skip, add_prev or concat; --input-size, for nets of any input size, a size
      their layers fit (e.g. when an fc reads a conv's output)

  --model       a dlib_face_recognition_resnet_model_v1.dat (default: the bundled one)
  --detector    hog: dlib's HOG face detector (default); cnn: dlib's CNN one (mmod_human_face_detector,
                bundled), which finds more turned and partly hidden faces, and is much slower
  --landmarks   a dlib shape predictor, e.g. dlib's 68-point model (default: the bundled 5-point one); a large one is read
                once into ~/.cache/dlib-wasm ($XDG_CACHE_HOME/dlib-wasm), then from there (DLIB_WASM_CACHE=off: never)
  --upsample    0 to 4: each doubles the photo's sides, so that smaller faces are found
  --threads     threads for the nets and the detector (default a thread per core)
  --quiet       no progress on stderr (a bar on a terminal, else a line every few seconds)
  --accept-damaged-images   (cluster, faces, recognize, index, descriptors) use a truncated or corrupt JPEG as far as
                it decodes, with a warning naming the file; by default such a file is an error
  Files that are not regular files (FIFOs, devices) are reported and skipped.`;

type Command = (args: string[]) => Promise<number>;

/**
 * Each command's module, imported only when it runs: importing them all
 * (the library's database client, ONNX's protobuf schema...) cost every
 * command about 100 ms of start-up.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  cluster: async () => (await import('./cluster-command.js')).clusterCommand,
  faces: async () => (await import('./faces-command.js')).facesCommand,
  recognize: async () => (await import('./recognize-command.js')).recognizeCommand,
  detect: async () => (await import('./detect-command.js')).detectCommand,
  index: async () => (await import('./index-command.js')).indexCommand,
  people: async () => (await import('./people-command.js')).peopleCommand,
  name: async () => (await import('./people-command.js')).nameCommand,
  report: async () => (await import('./report-command.js')).reportCommand,
  descriptors: async () => (await import('./descriptors-command.js')).descriptorsCommand,
  bench: async () => (await import('./bench-command.js')).benchCommand,
  'export-onnx': async () => (await import('./export-onnx-command.js')).exportOnnxCommand,
  run: async () => (await import('./run-command.js')).runCommand,
};

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  try {
    const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!load) throw new UsageError(`unknown command ${command}`);
    return await (await load())(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`dlib-wasm: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    // Imported here: each-image.js brings the image decoders, which a start imports only with its command.
    const { isUserFacing } = await import('./each-image.js');
    if (isUserFacing(error)) {
      process.stderr.write(`dlib-wasm: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
