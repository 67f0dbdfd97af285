import { fileURLToPath } from 'node:url';
import path from 'node:path';

// The repository root in a checkout, /directus in the image: everything the boot reads is relative to it.
export const appDir = fileURLToPath(new URL('../../', import.meta.url));

export function fromApp(...parts: string[]): string {
  return path.resolve(appDir, ...parts);
}
