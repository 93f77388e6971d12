// dlib native on this machine, in the same run as dlib-wasm: builds our
// harness (dlib-bench.cpp) against Debian's libdlib-dev and OpenBLAS into
// build/, runs it as a child process held to one OpenBLAS thread, and returns
// its JSON. Where g++, the packages or dlib's 68-point model are missing, it
// says what to install and the tables go on without the dlib native column.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
const SOURCE = new URL('bench/native/dlib-bench.cpp', root).pathname;
const BINARY = new URL('build/dlib-bench', root).pathname;
export const LANDMARKS_68 = '/usr/share/dlib/shape_predictor_68_face_landmarks.dat';
export const INSTALL_LINE = 'apt-get install -y g++ libdlib-dev libdlib-data libopenblas-dev libopenblas0-pthread libjpeg-dev libpng-dev';
/**
 * No -march: Debian builds libdlib.so for the amd64 baseline (SSE2; objdump finds no AVX
 * register in it), and the harness takes the same flags. The convolutions run in OpenBLAS's
 * gemm, which picks its kernels for the CPU at run time (DYNAMIC_ARCH).
 */
export const COMPILE_FLAGS = ['-std=c++17', '-O3'];
const LINK_FLAGS = ['-Wl,--no-as-needed', '-ldlib', '-lopenblas', '-lpthread'];
const REQUIRED_FILES = {
  'dlib headers (libdlib-dev)': '/usr/include/dlib/dnn.h',
  'OpenBLAS (libopenblas-dev)': '/usr/lib/x86_64-linux-gnu/libopenblas.so',
  "dlib's 68-point landmark model (libdlib-data)": LANDMARKS_68,
};

/** Builds build/dlib-bench if it is missing or older than its source; what is missing otherwise. */
export function buildDlibBench() {
  const missing = Object.entries(REQUIRED_FILES)
    .filter(([, file]) => !existsSync(file))
    .map(([what]) => what);
  if (spawnSync('g++', ['--version']).status !== 0) missing.unshift('g++');
  if (missing.length) return { available: false, reason: `missing ${missing.join(', ')}: ${INSTALL_LINE}` };
  if (!existsSync(BINARY) || statSync(BINARY).mtimeMs < statSync(SOURCE).mtimeMs) {
    mkdirSync(new URL('build/', root), { recursive: true });
    execFileSync('g++', [...COMPILE_FLAGS, '-o', BINARY, SOURCE, ...LINK_FLAGS], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return { available: true };
}

/**
 * dlib native's ms/face at `batches` and, for each of `photos`
 * (test/fixtures/photos), the pipeline stages: medians of `runs` after a warm-up.
 */
export function measureDlibNative({ batches, photos = [], runs }) {
  const built = buildDlibBench();
  if (!built.available) return built;
  const folder = (path) => new URL(path, root).pathname;
  const args = [
    ...['--models', folder('models'), '--landmarks68', LANDMARKS_68],
    ...['--chips', folder('test/fixtures/chips/faces'), '--photos', folder('test/fixtures/photos')],
    ...['--runs', String(runs), '--batches', batches.join(','), ...photos],
  ];
  const output = execFileSync(BINARY, args, { env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, encoding: 'utf8' });
  return { available: true, compileFlags: COMPILE_FLAGS.join(' '), ...JSON.parse(output) };
}

/**
 * dlib native's CNN face detector (`net(image)` after `upsample` pyramid_ups)
 * on one photo of test/fixtures/photos, in a process of its own so that its
 * peak RSS is that photo's: the median ms of `runs` after a warm-up, the
 * faces, the photo's and the tiled pyramid's sizes.
 */
export function measureDlibCnnDetector({ photo, upsample, runs }) {
  const built = buildDlibBench();
  if (!built.available) return built;
  const folder = (path) => new URL(path, root).pathname;
  const args = [
    ...['--cnn-detector', folder('test/fixtures/dlib-models/mmod_human_face_detector.dat'), '--upsample', String(upsample)],
    ...['--photos', folder('test/fixtures/photos'), '--runs', String(runs), photo],
  ];
  const output = execFileSync(BINARY, args, { env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, encoding: 'utf8' });
  return { available: true, compileFlags: COMPILE_FLAGS.join(' '), ...JSON.parse(output) };
}
