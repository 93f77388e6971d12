import { relative } from 'node:path';

/** How this bench was started, for the header: the npm script, or node and the script. */
export function commandLine() {
  const script = process.env.npm_lifecycle_event;
  return script ? `npm run ${script}` : `node ${relative(process.cwd(), process.argv[1])} ${process.argv.slice(2).join(' ')}`.trim();
}
