import { availableParallelism } from 'node:os';
import { MAX_WORKERS } from '../engine/thread-protocol.js';
import type { FaceDetectorKind } from '../face/face-pipeline.js';
import { DEFAULT_UPSAMPLE } from '../face/hog-detector.js';

/** A command line the user got wrong: reported with the usage text, exit code 2. */
export class UsageError extends Error {}

export interface ParsedArgs {
  positional: string[];
  options: Map<string, string | true>;
}

/**
 * `--name value` and `--flag` options (flags listed in `flags`) among
 * positional arguments; any other option is a UsageError.
 */
export function parseArgs(args: string[], valued: string[], flags: string[]): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
    } else if (flags.includes(arg)) {
      options.set(arg, true);
    } else if (valued.includes(arg)) {
      const value = args[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      options.set(arg, value);
    } else {
      throw new UsageError(`unknown option ${arg}`);
    }
  }
  return { positional, options };
}

/** An integer option of at least `min` (default 1), or its default. */
export function integerOption(parsed: ParsedArgs, name: string, fallback: number | undefined, min = 1): number | undefined {
  const value = parsed.options.get(name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer of at least ${min}, got ${String(value)}`);
  return n;
}

/**
 * The most `--upsample` the CLI accepts. Each up-sampling doubles a photo's
 * sides: 4 already turns a 500x375 photo into 8000x6000 (48 M pixels, ~15 s),
 * near the detector's limits (64 M pixels, 2 GiB), and larger photos pass them
 * sooner, so more could only fail photo by photo.
 */
export const MAX_CLI_UPSAMPLE = 4;

/** `--upsample`: 0 to MAX_CLI_UPSAMPLE, default the library's (1) for faces. */
export function upsampleOption(parsed: ParsedArgs, fallback = DEFAULT_UPSAMPLE): number {
  const upsample = integerOption(parsed, '--upsample', fallback, 0)!;
  if (upsample > MAX_CLI_UPSAMPLE) {
    throw new UsageError(
      `--upsample must be at most ${MAX_CLI_UPSAMPLE}, got ${upsample}: each doubles the photo's sides, and ` +
        `${MAX_CLI_UPSAMPLE} already takes a 500x375 photo to 8000x6000, near the detector's 64 M pixel limit`,
    );
  }
  return upsample;
}

/** `--detector hog|cnn`: dlib's HOG face detector (the default) or its CNN one (mmod_human_face_detector). */
export function detectorOption(parsed: ParsedArgs): FaceDetectorKind {
  const detector = parsed.options.get('--detector') ?? 'hog';
  if (detector !== 'hog' && detector !== 'cnn') throw new UsageError(`--detector must be hog or cnn, got ${String(detector)}`);
  return detector;
}

/** The engine runs this thread and at most MAX_WORKERS workers. */
export const MAX_THREADS = MAX_WORKERS + 1;

/** `--threads N`, refused past what the engine runs, with a warning past the cores it would share; undefined when not given. */
export function threadsOption(parsed: ParsedArgs): number | undefined {
  const threads = integerOption(parsed, '--threads', undefined);
  if (threads === undefined) return undefined;
  if (threads > MAX_THREADS) throw new UsageError(`--threads must be at most ${MAX_THREADS} (the engine's limit), got ${threads}`);
  const cores = availableParallelism();
  if (threads > cores) {
    process.stderr.write(
      `dlib-wasm: --threads ${threads} is more than the ${cores} cores Node reports: the threads share them, and each face takes longer\n`,
    );
  }
  return threads;
}
