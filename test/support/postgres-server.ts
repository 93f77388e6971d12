import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's PostgreSQL binaries (the postgresql package), the newest version installed. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) {
    throw new Error("no PostgreSQL server under /usr/lib/postgresql: install Debian's postgresql (scripts/install-test-runtimes.sh does)");
  }
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

/** A free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * A PostgreSQL server of its own, in a temporary data folder, on a loopback
 * port, trusting its one user. PostgreSQL refuses to run as root: as root,
 * the folder is given to the postgres user, which runs the server.
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'dlib-wasm-postgres-'));
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]] : [join(bin, command), args];
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), 0);
  const data = join(dir, 'data');
  execFileSync(...run('initdb', ['-D', data, '-A', 'trust', '-U', 'dlib', '--no-sync', '--no-instructions']), { stdio: 'ignore' });
  const port = await freePort();
  const server: ChildProcess = spawn(
    ...run('postgres', ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off']),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  await new Promise<void>((ready, failed) => {
    server.stderr!.on('data', (chunk) => {
      log += chunk;
      if (log.includes('database system is ready to accept connections')) ready();
    });
    server.on('exit', (code) => failed(new Error(`postgres exited (${code}) before it was ready: ${log}`)));
  });
  return {
    url: `postgres://dlib@127.0.0.1:${port}/postgres`,
    stop: async () => {
      // SIGINT: the server's fast shutdown, sent to the server itself (runuser passes no signal on); then the folder goes.
      const exited = new Promise((done) => server.once('exit', done));
      process.kill(Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGINT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
