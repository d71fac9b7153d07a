/**
 * A GIF89a decoder for the tests (written from the GIF89a specification, independent of the encoder):
 * every frame as full RGB, with its delay, and whether the NETSCAPE2.0 looping extension is present.
 */
export interface DecodedGif {
  width: number;
  height: number;
  frames: Uint8Array[];
  delaysCs: number[];
  loops: boolean;
}

function lzwDecode(data: Uint8Array, minCodeSize: number, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  let size = minCodeSize + 1;
  let dict: number[][] = [];
  const reset = () => {
    dict = [];
    for (let i = 0; i < clear; i++) dict.push([i]);
    dict.push([], []);
    size = minCodeSize + 1;
  };
  reset();
  let bit = 0;
  let o = 0;
  let prev: number[] | null = null;
  for (;;) {
    let code = 0;
    for (let i = 0; i < size; i++) {
      const byte = data[(bit + i) >> 3];
      if (byte === undefined) return out;
      code |= ((byte >> ((bit + i) & 7)) & 1) << i;
    }
    bit += size;
    if (code === clear) {
      reset();
      prev = null;
      continue;
    }
    if (code === end) break;
    let entry: number[];
    if (code < dict.length) entry = dict[code];
    else if (prev && code === dict.length) entry = [...prev, prev[0]];
    else throw new Error(`GIF: bad LZW code ${code} (dictionary ${dict.length})`);
    for (const v of entry) if (o < pixels) out[o++] = v;
    if (prev && dict.length < 4096) {
      dict.push([...prev, entry[0]]);
      if (dict.length === 1 << size && size < 12) size++;
    }
    prev = entry;
  }
  return out;
}

export function decodeGif(bytes: Uint8Array): DecodedGif {
  const sig = String.fromCharCode(...bytes.subarray(0, 6));
  if (sig !== 'GIF89a' && sig !== 'GIF87a') throw new Error(`not a GIF (signature ${JSON.stringify(sig)})`);
  const u16 = (p: number) => bytes[p] | (bytes[p + 1] << 8);
  const width = u16(6);
  const height = u16(8);
  const packed = bytes[10];
  let p = 13;
  let global: Uint8Array | null = null;
  if (packed & 0x80) {
    const n = 3 * (1 << ((packed & 7) + 1));
    global = bytes.subarray(p, p + n);
    p += n;
  }
  const frames: Uint8Array[] = [];
  const delaysCs: number[] = [];
  let delay = 0;
  let loops = false;
  const subBlocks = (): Uint8Array => {
    const parts: number[] = [];
    while (bytes[p] !== 0) {
      const len = bytes[p++];
      for (let i = 0; i < len; i++) parts.push(bytes[p + i]);
      p += len;
    }
    p++;
    return Uint8Array.from(parts);
  };
  for (;;) {
    const b = bytes[p++];
    if (b === 0x3b) break;
    if (b === 0x21) {
      const label = bytes[p++];
      if (label === 0xf9) {
        delay = u16(p + 2);
        p += bytes[p] + 1;
        p++; // terminator
      } else if (label === 0xff) {
        const len = bytes[p];
        if (String.fromCharCode(...bytes.subarray(p + 1, p + 1 + len)) === 'NETSCAPE2.0') loops = true;
        p += len + 1;
        subBlocks();
      } else {
        p += bytes[p] + 1;
        subBlocks();
      }
    } else if (b === 0x2c) {
      const [x, y, w, h] = [u16(p), u16(p + 2), u16(p + 4), u16(p + 6)];
      const ip = bytes[p + 8];
      p += 9;
      let table = global;
      if (ip & 0x80) {
        const n = 3 * (1 << ((ip & 7) + 1));
        table = bytes.subarray(p, p + n);
        p += n;
      }
      if (ip & 0x40) throw new Error('GIF: interlaced frames are not supported by this test decoder');
      if (!table) throw new Error('GIF: frame without a colour table');
      const minCode = bytes[p++];
      const idx = lzwDecode(subBlocks(), minCode, w * h);
      const rgb = new Uint8Array(width * height * 3);
      if (frames.length > 0) rgb.set(frames[frames.length - 1]);
      for (let r = 0; r < h; r++) {
        for (let c = 0; c < w; c++) {
          const k = idx[r * w + c];
          const o = ((y + r) * width + x + c) * 3;
          rgb[o] = table[3 * k];
          rgb[o + 1] = table[3 * k + 1];
          rgb[o + 2] = table[3 * k + 2];
        }
      }
      frames.push(rgb);
      delaysCs.push(delay);
    } else {
      throw new Error(`GIF: unexpected block 0x${b?.toString(16)} at byte ${p - 1}`);
    }
  }
  return { width, height, frames, delaysCs, loops };
}
