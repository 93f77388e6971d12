import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The peers table's script: in a checkout of the repository, not in the npm package (no bench/ there). */
const PEERS_SCRIPT = fileURLToPath(new URL('../../bench/peers.mjs', import.meta.url));
/** The packages the table measures beside dlib-wasm, each where the current folder's project would have it. */
export const PEER_PACKAGES = ['onnxruntime-web', '@vladmandic/face-api', 'onnxruntime-node'];

/** Which peers the project in `folder` (and the folders above it) has installed, and which not. */
export function findPeers(folder: string): { installed: string[]; missing: string[] } {
  const require = createRequire(join(folder, 'package.json'));
  // By its folder: a package's exports need not list its package.json (onnxruntime-web's do not).
  const has = (pkg: string) => (require.resolve.paths(pkg) ?? []).some((parent) => existsSync(join(parent, pkg, 'package.json')));
  return { installed: PEER_PACKAGES.filter(has), missing: PEER_PACKAGES.filter((pkg) => !has(pkg)) };
}

/**
 * `bench --peers [--quick]`: runs the peers table (bench/peers.mjs) on this
 * Node (on the PATH's from Deno or Bun), with the peers installed in the current folder's project; it prints
 * its progress on stderr. Where the script is not there (an installed
 * package), says so, which peers are installed, and how to run the table.
 */
export async function runPeersBench(quick: boolean): Promise<number> {
  if (!existsSync(PEERS_SCRIPT)) {
    const { installed, missing } = findPeers(process.cwd());
    process.stderr.write(
      [
        "dlib-wasm: the peers table runs from a checkout of dlib-wasm's repository (its bench/ folder is not in the npm",
        'package): clone it, then `npm ci && npm run build && npx dlib-wasm bench --peers` there.',
        `Peers installed here: ${installed.join(', ') || 'none'}.${missing.length ? ` Not installed: ${missing.join(', ')} (npm install --save-dev ${missing.join(' ')}).` : ''}`,
        '',
      ].join('\n'),
    );
    return 1;
  }
  // Its harness forks Node processes (Deno's fork runs Deno's own arguments): from Deno or Bun, the PATH's Node runs it.
  const onNode = process.versions.deno === undefined && process.versions.bun === undefined;
  const node = onNode ? process.execPath : 'node';
  const child = spawn(node, [PEERS_SCRIPT, ...(quick ? ['--quick'] : [])], { stdio: 'inherit' });
  return new Promise((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`dlib-wasm: the peers table runs on Node, and ${node} could not be started (${error.message})\n`);
      resolve(1);
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}
