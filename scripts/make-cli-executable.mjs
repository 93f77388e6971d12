// tsc writes dist/cli/main.js without the executable bit; `npx dlib-wasm` in
// this repository runs the file itself, so it must be executable (npm sets
// the bit only on the bins of packages it installs).
import { chmodSync } from 'node:fs';

chmodSync('dist/cli/main.js', 0o755);
