import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the CLI keeps what it can always make again (dlib's 68-point model
 * laid out, Node's compiled code of the CLI): $XDG_CACHE_HOME/dlib-wasm
 * (~/.cache/dlib-wasm), none with DLIB_WASM_CACHE=off.
 */
export function cacheFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.DLIB_WASM_CACHE === 'off') return undefined;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dlib-wasm');
}
