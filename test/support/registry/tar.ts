/**
 * Minimal deterministic ustar writer for test image layers. Node has no tar module, and shelling
 * out to `tar` would bake host mtimes/owners into the bytes (different digests per run); a layer
 * needs only regular files and directories, which is ~50 lines of header packing.
 */
export interface TarEntry {
  /** Relative path; directories end with `/`. At most 100 bytes (no prefix/PAX support needed here). */
  path: string;
  content?: Buffer | string;
  mode?: number;
}

const BLOCK = 512;
/** 2024-01-01T00:00:00Z: fixed so the same entries always produce the same bytes. */
const MTIME = 1_704_067_200;

export function createTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const isDir = entry.path.endsWith('/');
    const body = isDir ? Buffer.alloc(0) : Buffer.from(entry.content ?? '');
    parts.push(header(entry.path, body.length, isDir, entry.mode ?? (isDir ? 0o755 : 0o644)));
    parts.push(body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(BLOCK * 2)); // end-of-archive marker
  return Buffer.concat(parts);
}

function header(path: string, size: number, isDir: boolean, mode: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  if (Buffer.byteLength(path) > 100) throw new Error(`tar path too long: ${path}`);
  h.write(path, 0, 100, 'utf8');
  octal(h, 100, 8, mode);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, size);
  octal(h, 136, 12, MTIME);
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  h.write(isDir ? '5' : '0', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

/** Zero-padded octal number followed by NUL, filling `width` bytes. */
function octal(buf: Buffer, offset: number, width: number, value: number): void {
  buf.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'ascii');
}
