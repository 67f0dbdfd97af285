import { constants, crc32, deflateRawSync } from 'node:zlib';

// An answer whose head (some 200 kB for an event of 300 entries, the same for every caller for a few
// seconds) is compressed once, and whose tail (a few bytes that differ per request) is appended per
// request: a gzip answer then costs no compression at request time. The result is one ordinary gzip
// member (RFC 1952): the head's deflate blocks, ended by a sync flush so that they stop on a byte
// boundary without a final block; the tail as the final block, stored (RFC 1951 §3.2.4); the CRC-32 and
// length of both.
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);
const MAX_TAIL = 0xffff;

export class Precompressed {
  readonly #head: Buffer;
  #gzipped: { bytes: Buffer; crc: number } | undefined;

  constructor(head: Buffer) {
    this.#head = head;
  }

  // The whole body, as its two chunks.
  body(tail: Buffer, gzip: boolean): [Buffer, Buffer] {
    if (!gzip) return [this.#head, tail];
    if (tail.length > MAX_TAIL) throw new Error(`a stored block holds at most ${MAX_TAIL} bytes, not ${tail.length}`);
    const head = (this.#gzipped ??= {
      bytes: Buffer.concat([GZIP_HEADER, deflateRawSync(this.#head, { finishFlush: constants.Z_SYNC_FLUSH })]),
      crc: crc32(this.#head),
    });
    const final = Buffer.alloc(5 + tail.length + 8);
    final[0] = 0x01; // BFINAL = 1, BTYPE = 00 (stored)
    final.writeUInt16LE(tail.length, 1);
    final.writeUInt16LE(~tail.length & 0xffff, 3);
    tail.copy(final, 5);
    final.writeUInt32LE(crc32(tail, head.crc), 5 + tail.length);
    final.writeUInt32LE((this.#head.length + tail.length) % 0x1_0000_0000, 9 + tail.length);
    return [head.bytes, final];
  }
}
