import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureJson, fixturePng } from '../support/helpers.js';

/** Chips every runtime's parity check runs: two photos' faces, and two people of dlib's johns twice each. */
const PARITY_CHIPS = [
  'chips/faces/sample1_f00.png',
  'chips/faces/2008_001322_f01.png',
  'chips/johns/John_Salley/000179_02159509.png',
  'chips/johns/John_Salley/000183_02159543.png',
  'chips/johns/John_Savage/000264_01099001.png',
  'chips/johns/John_Savage/000274_01099061.png',
];

export interface ParityPayload {
  chips: { name: string; width: number; height: number; rgbaBase64: string }[];
  /** dlib's descriptor of each chip. */
  descriptors: number[][];
}

/** What parity-check.js reports. */
export interface ParityResult {
  backend: { simd: boolean; relaxedSimd: boolean; threads: number };
  chips: number;
  maxAbsDiff: number;
  workersStarted: number | null;
  /** navigator.hardwareConcurrency, where the runtime has it. */
  cores: number | null;
  crossOriginIsolated?: boolean;
  /** In a browser: what it offers where the check ran (browser-features.js). */
  features?: { relaxedSimd: boolean; sharedArrayBuffer: boolean };
  ms: number;
  runtime?: string;
}

export function parityPayload(): ParityPayload {
  const { items } = fixtureJson<{ items: { chip: string; descriptor: number[] }[] }>('descriptors.json');
  const chips = PARITY_CHIPS.map((name) => {
    const { width, height, data } = fixturePng(name);
    return { name, width, height, rgbaBase64: Buffer.from(data).toString('base64') };
  });
  const descriptors = PARITY_CHIPS.map((name) => items.find((item) => item.chip === name)!.descriptor);
  return { chips, descriptors };
}

/** Writes the payload to a fresh temporary file; returns its path. */
export function writeParityPayload(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'dlib-wasm-parity-')), 'payload.json');
  writeFileSync(path, JSON.stringify(parityPayload()));
  return path;
}
