import { execFileSync } from 'node:child_process';

const git = (args) => execFileSync('git', args, { cwd: new URL('../..', import.meta.url), encoding: 'utf8' }).trim();

/**
 * Which engine was measured: the commit, and whether the engine's sources
 * (src/, assembly/, scripts/) differed from it when the build ran. Unknown
 * outside a git checkout.
 */
export function describeSourceRevision() {
  try {
    return {
      commit: git(['rev-parse', '--short', 'HEAD']),
      engineSourcesModified: git(['status', '--porcelain', '--', 'src', 'assembly', 'scripts']) !== '',
    };
  } catch {
    return { commit: 'unknown', engineSourcesModified: undefined };
  }
}
