import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer } from '../scripts/static-server.mjs';

describe('static server', () => {
  let server: Awaited<ReturnType<typeof startStaticServer>>;
  beforeAll(async () => {
    const base = mkdtempSync(join(tmpdir(), 'dlib-wasm-static-'));
    const root = join(base, 'site');
    const outside = join(base, 'secret');
    mkdirSync(join(root, 'inner'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(root, 'inner', 'page.html'), 'inside');
    writeFileSync(join(outside, 'key.txt'), 'TOP SECRET');
    symlinkSync(join(root, 'inner', 'page.html'), join(root, 'alias.html'));
    symlinkSync(join(outside, 'key.txt'), join(root, 'key.txt'));
    symlinkSync(outside, join(root, 'linked'));
    symlinkSync('/etc/passwd', join(root, 'passwd'));
    server = await startStaticServer({ mounts: { '/site/': root } });
  });
  afterAll(() => server.close());

  const get = async (path: string) => {
    const response = await fetch(`${server.url}${path}`);
    return { status: response.status, body: await response.text() };
  };

  it('serves files inside its mount, also through a link that stays inside', async () => {
    expect(await get('/site/inner/page.html')).toEqual({ status: 200, body: 'inside' });
    expect(await get('/site/alias.html')).toEqual({ status: 200, body: 'inside' });
  });

  it('does not follow links out of its mount: a file, a folder, /etc/passwd', async () => {
    for (const path of ['/site/key.txt', '/site/linked/key.txt', '/site/passwd', '/site/../secret/key.txt']) {
      const { status, body } = await get(path);
      expect(status, path).toBe(404);
      expect(body).not.toMatch(/TOP SECRET|root:/);
    }
  });
});
