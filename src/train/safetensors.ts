/**
 * The safetensors format (huggingface/safetensors): 8-byte little-endian header length, a JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } }`, then the
 * raw little-endian data. Readable by `safetensors.torch.load_file`, so a checkpoint can be inspected
 * (or ported) from Python. F32 and I32 only, which is all the trainer stores.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/fs.ts';

export type NamedArrays = Map<string, { data: Float32Array | Int32Array; shape: number[] }>;

export function encodeSafetensors(tensors: NamedArrays, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`safetensors: ${name} has shape [${t.shape}] (${n} values) but ${t.data.length} values`);
    header[name] = { dtype: t.data instanceof Float32Array ? 'F32' : 'I32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned (as the reference writer does).
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, what = 'safetensors'): { tensors: NamedArrays; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`${what}: file too short (${bytes.length} bytes)`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + n > bytes.length) throw new Error(`${what}: header length ${n} exceeds the file (${bytes.length} bytes)`);
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const base = 8 + n;
  const tensors: NamedArrays = new Map();
  let metadata: Record<string, string> = {};
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = h as unknown as Record<string, string>;
      continue;
    }
    const [b, e] = h.data_offsets;
    // A fresh, aligned copy (a Node Buffer's slice is a view into a shared pool).
    const copy = new Uint8Array(e - b);
    copy.set(bytes.subarray(base + b, base + e));
    if (h.dtype === 'F32') tensors.set(name, { data: new Float32Array(copy.buffer, 0, (e - b) / 4), shape: h.shape });
    else if (h.dtype === 'I32') tensors.set(name, { data: new Int32Array(copy.buffer, 0, (e - b) / 4), shape: h.shape });
    else throw new Error(`${what}: tensor ${name} has dtype ${h.dtype}; only F32 and I32 are supported`);
  }
  return { tensors, metadata };
}

export function saveSafetensors(file: string, tensors: NamedArrays, metadata?: Record<string, string>): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

export function loadSafetensors(file: string): { tensors: NamedArrays; metadata: Record<string, string> } {
  return decodeSafetensors(readFileSync(file), file);
}
