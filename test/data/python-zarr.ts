/**
 * Runs zarr-python 2.x (Debian's python3-zarr, under /usr/bin/python3) as the independent reader and
 * writer of Zarr v2 stores. Missing zarr is a test failure, not a skip: CI installs python3-zarr.
 * `DPBENCH_ZARR_PYTHON` overrides the interpreter.
 */
import { execFileSync } from 'node:child_process';

export const PYTHON = process.env.DPBENCH_ZARR_PYTHON ?? '/usr/bin/python3';

let checked = false;

export function requireZarrPython(): void {
  if (checked) return;
  try {
    execFileSync(PYTHON, ['-c', 'import zarr, numcodecs, numpy; assert zarr.__version__.startswith("2.")'], { stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(
      `zarr-python 2.x is not importable by ${PYTHON} (${(err.stderr?.toString().trim().split('\n').pop() ?? err.message)}); ` +
        'install it with `apt-get install python3-zarr` (Debian/Ubuntu), or set DPBENCH_ZARR_PYTHON to a python with zarr 2.x',
    );
  }
  checked = true;
}

/** Runs `code` with `sys.argv[1:] = args` and parses the JSON it prints. */
export function pythonJson<T>(code: string, args: string[] = []): T {
  requireZarrPython();
  let out: string;
  try {
    out = execFileSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`${PYTHON} failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  }
  return JSON.parse(out) as T;
}

/** Python that dumps every array of the store at argv[1]: {path: {shape, dtype, chunks, compressor, values}} + root attrs. */
export const DUMP_STORE = `
import sys, json, zarr
root = zarr.open(sys.argv[1], 'r')
out = {'arrays': {}, 'attrs': dict(root.attrs), 'meta_attrs': dict(root['meta'].attrs) if 'meta' in root else {}}
def visit(name, node):
    if isinstance(node, zarr.Array):
        a = node[:]
        out['arrays'][name] = {'shape': list(a.shape), 'dtype': node.dtype.str, 'chunks': list(node.chunks),
            'compressor': None if node.compressor is None else node.compressor.codec_id,
            'values': a.reshape(-1).tolist(), 'sum': float(a.astype('f8').sum())}
root.visititems(visit)
print(json.dumps(out))
`;

export interface DumpedArray { shape: number[]; dtype: string; chunks: number[]; compressor: string | null; values: number[]; sum: number }
export interface DumpedStore { arrays: Record<string, DumpedArray>; attrs: Record<string, unknown>; meta_attrs: Record<string, unknown> }

export function dumpStore(dir: string): DumpedStore {
  return pythonJson<DumpedStore>(DUMP_STORE, [dir]);
}
