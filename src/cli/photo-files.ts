import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

/** Whether a file name is a photo's, by its extension. */
export const isPhotoName = (name: string) => PHOTO_EXTENSIONS.has(extname(name).toLowerCase());

/**
 * The photos named, and those directly inside the folders named (by
 * extension, sorted), in a stable order. A path that cannot be looked at is
 * kept, to be reported when it is read.
 */
export async function listPhotos(paths: string[]): Promise<string[]> {
  const photos: string[] = [];
  for (const path of paths) {
    if (!(await stat(path).catch(() => undefined))?.isDirectory()) {
      photos.push(path);
      continue;
    }
    const names = (await readdir(path)).filter(isPhotoName).sort();
    for (const name of names) photos.push(join(path, name));
  }
  return photos;
}
