/**
 * The renderer page (plain ES module, run in headless Chromium; driven by src/render/renderer.ts).
 *
 * A scene is built once per SceneDescription (envs/core/scene.ts) and afterwards only its bodies move.
 * The objects of each body (and the static ones) are merged into one mesh per material kind with vertex
 * colours, instanced once per frame of a batch: `render` draws all frames of a batch as tiles of one
 * render target in a few draw calls (each instance's clip-space position is mapped into its tile, and
 * fragments outside the tile are discarded, which is what a per-tile viewport would do), then reads
 * all pixels back at once. The pixels (RGB row-major, top row first, frame after frame)
 * are run-length coded (`packRuns`, decoded by src/render/runs.ts) and returned as base64: the frames
 * are mostly flat colour, and bytes through the DevTools protocol cost far more than the coding.
 * Errors meant for the caller start with `dpbench-page:` (bad input; retrying would not help).
 *
 * Colour management is off: a material colour `#90ee90` is written to the image as the bytes 144, 238, 144
 * (unlit objects), as the original's pygame drawing does.
 */
import * as THREE from 'three';

THREE.ColorManagement.enabled = false;

/** Largest render target side used for one batch (the caller splits bigger batches). */
const MAX_TARGET = 4096;

let renderer = null;
/** Whether tiled materials clip at their tile's edges (set when the renderer is made). */
let clipDistances = false;
const scenes = new Map();
const targets = new Map();
let rgba = new Uint8Array(0);
let rgb = new Uint8Array(0);

function fail(msg) {
  throw new Error(`dpbench-page: ${msg}`);
}

function glRenderer() {
  if (renderer) return renderer;
  const canvas = document.createElement('canvas');
  canvas.width = 1;
  canvas.height = 1;
  renderer = new THREE.WebGLRenderer({ canvas, antialias: false, alpha: false, depth: true, stencil: false, preserveDrawingBuffer: false, powerPreference: 'high-performance' });
  renderer.outputColorSpace = THREE.LinearSRGBColorSpace;
  const gl = renderer.getContext();
  const ext = gl.getExtension('WEBGL_clip_cull_distance');
  if (ext) {
    for (let i = 0; i < 4; i++) gl.enable(ext.CLIP_DISTANCE0_WEBGL + i);
    clipDistances = true;
  }
  renderer.toneMapping = THREE.NoToneMapping;
  renderer.autoClear = false;
  renderer.sortObjects = true;
  return renderer;
}

function geometryOf(shape, name) {
  switch (shape.kind) {
    case 'box':
      // Depth 0: a rectangle in the z = 0 plane.
      if (shape.size[2] === 0) return new THREE.PlaneGeometry(shape.size[0], shape.size[1]);
      return new THREE.BoxGeometry(shape.size[0], shape.size[1], shape.size[2]);
    case 'cylinder': {
      // Height 0: a disc in the z = 0 plane (flat scenes need no side walls).
      // 48 segments: the outline strays < 0.3% of the radius from the circle.
      if (shape.height === 0) return new THREE.CircleGeometry(shape.radius, 48);
      // three's cylinder runs along y; the description's along z.
      const g = new THREE.CylinderGeometry(shape.radius, shape.radius, shape.height, 48, 1, false);
      g.rotateX(Math.PI / 2);
      return g;
    }
    case 'sphere':
      return new THREE.SphereGeometry(shape.radius, 48, 24);
    case 'plane':
      return new THREE.PlaneGeometry(shape.size[0], shape.size[1]);
    case 'extrude': {
      const shapes = shape.polygons.map((poly) => new THREE.Shape(poly.map(([x, y]) => new THREE.Vector2(x, y))));
      return shape.depth > 0 ? new THREE.ExtrudeGeometry(shapes, { depth: shape.depth, bevelEnabled: false, curveSegments: 1 }) : new THREE.ShapeGeometry(shapes);
    }
    default:
      fail(`object ${name}: unknown primitive kind ${JSON.stringify(shape.kind)} (expected box, cylinder, sphere, plane or extrude)`);
  }
}

function cameraOf(c) {
  let cam;
  if (c.kind === 'orthographic') cam = new THREE.OrthographicCamera(c.left, c.right, c.top, c.bottom, c.near, c.far);
  else if (c.kind === 'perspective') cam = new THREE.PerspectiveCamera(c.fovDeg, 1, c.near, c.far);
  else fail(`unknown camera kind ${JSON.stringify(c.kind)} (expected orthographic or perspective)`);
  cam.position.set(c.position[0], c.position[1], c.position[2]);
  cam.up.set(c.up[0], c.up[1], c.up[2]);
  cam.lookAt(c.lookAt[0], c.lookAt[1], c.lookAt[2]);
  cam.updateProjectionMatrix();
  cam.updateMatrixWorld(true);
  return cam;
}

/** `g` transformed by `m` as plain arrays (position, normal, colour, triangle indices), constant colour; uv dropped. */
function bake(g, m, color) {
  g.applyMatrix4(m);
  if (!g.getAttribute('normal')) g.computeVertexNormals();
  const n = g.getAttribute('position').count;
  const colors = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) colors.set([color.r, color.g, color.b], i * 3);
  const index = g.index ? Uint32Array.from(g.index.array) : Uint32Array.from({ length: n }, (_, i) => i);
  const out = { position: Float32Array.from(g.getAttribute('position').array), normal: Float32Array.from(g.getAttribute('normal').array), color: colors, index };
  g.dispose();
  return out;
}

/** One indexed geometry from baked parts (vertex arrays concatenated, indices offset). */
function merge(parts) {
  const geo = new THREE.BufferGeometry();
  for (const key of ['position', 'normal', 'color']) {
    const arr = new Float32Array(parts.reduce((a, p) => a + p[key].length, 0));
    let o = 0;
    for (const p of parts) {
      arr.set(p[key], o);
      o += p[key].length;
    }
    geo.setAttribute(key, new THREE.BufferAttribute(arr, 3));
  }
  const index = new Uint32Array(parts.reduce((a, p) => a + p.index.length, 0));
  let o = 0;
  let base = 0;
  for (const p of parts) {
    for (let i = 0; i < p.index.length; i++) index[o++] = p.index[i] + base;
    base += p.position.length / 3;
  }
  geo.setIndex(new THREE.BufferAttribute(index, 1));
  geo.computeBoundingSphere();
  return geo;
}

/** The render target's size in pixels, shared by every tiled material. */
const targetSize = { value: new THREE.Vector2(1, 1) };

/**
 * Maps each instance into its tile: `tileBox` (x0, y0, x1, y1) is the tile in window pixels. A vertex's
 * position inside its tile is snapped to 1/256 px before the tile's integer offset is added; with
 * power-of-two target sizes every later step is exact in float32, so (orthographic cameras, w = 1) a
 * frame gets the same rasterizer input, hence the same pixels, in any tile of any batch. Geometry is
 * clipped at the tile's edges where the browser has clip distances (WEBGL_clip_cull_distance: no work
 * spent on a big object's parts in other tiles), and fragments outside the tile are discarded anyway,
 * as a per-tile viewport would clip them.
 */
const TILE_VERTEX = `
	vec2 tileNdc = gl_Position.xy / gl_Position.w;
	vec2 tileLocal = floor((tileNdc * 0.5 + 0.5) * (tileBox.zw - tileBox.xy) * 256.0 + 0.5) / 256.0;
	gl_Position.xy = ((tileLocal + tileBox.xy) * (2.0 / targetSize) - 1.0) * gl_Position.w;
	vTileBox = tileBox;
	#ifdef USE_CLIP_DISTANCE
	vec4 tileNdcBox = tileBox * (2.0 / targetSize.xyxy) - 1.0;
	gl_ClipDistance[0] = gl_Position.x - tileNdcBox.x * gl_Position.w;
	gl_ClipDistance[1] = tileNdcBox.z * gl_Position.w - gl_Position.x;
	gl_ClipDistance[2] = gl_Position.y - tileNdcBox.y * gl_Position.w;
	gl_ClipDistance[3] = tileNdcBox.w * gl_Position.w - gl_Position.y;
	#endif`;

function tiled(material) {
  material.onBeforeCompile = (shader) => {
    shader.uniforms.targetSize = targetSize;
    shader.vertexShader = shader.vertexShader
      .replace('#include <common>', '#include <common>\nattribute vec4 tileBox;\nuniform vec2 targetSize;\nflat varying vec4 vTileBox;')
      .replace('#include <project_vertex>', `#include <project_vertex>${TILE_VERTEX}`);
    shader.fragmentShader = shader.fragmentShader
      .replace('#include <common>', '#include <common>\nflat varying vec4 vTileBox;')
      .replace('void main() {', clipDistances ? 'void main() {' : 'void main() {\n\tif (gl_FragCoord.x < vTileBox.x || gl_FragCoord.y < vTileBox.y || gl_FragCoord.x >= vTileBox.z || gl_FragCoord.y >= vTileBox.w) discard;');
  };
  material.customProgramCacheKey = () => 'dpbench-tiled';
  if (clipDistances) material.extensions = { clipCullDistance: true };
  return material;
}

function buildScene(desc) {
  glRenderer(); // materials depend on its extensions
  const scene = new THREE.Scene();
  const disposables = [];
  const index = new Map(desc.bodies.map((n, i) => [n, i]));
  // groups[-1 | body index][unlit ? 1 : 0] = baked parts
  const groups = new Map();
  const m = new THREE.Matrix4();
  const q = new THREE.Quaternion();
  const p = new THREE.Vector3();
  const one = new THREE.Vector3(1, 1, 1);
  for (const o of desc.objects) {
    let b = -1;
    if (o.body !== undefined) {
      if (!index.has(o.body)) fail(`object ${o.name} is attached to body ${JSON.stringify(o.body)}, which is not in bodies [${desc.bodies.join(', ')}]`);
      b = index.get(o.body);
    }
    if (!/^#[0-9a-fA-F]{6}$/.test(o.color)) fail(`object ${o.name}: color must be #rrggbb, got ${JSON.stringify(o.color)}`);
    const pose = o.pose ?? { position: [0, 0, 0], quaternion: [0, 0, 0, 1] };
    m.compose(p.fromArray(pose.position), q.fromArray(pose.quaternion), one);
    const key = `${b}:${o.unlit ? 1 : 0}`;
    if (!groups.has(key)) groups.set(key, { b, unlit: !!o.unlit, parts: [] });
    groups.get(key).parts.push(bake(geometryOf(o.shape, o.name), m, new THREE.Color(o.color)));
  }
  const meshes = [];
  for (const { b, unlit, parts } of groups.values()) {
    const geometry = merge(parts);
    const material = tiled(unlit ? new THREE.MeshBasicMaterial({ vertexColors: true, side: THREE.DoubleSide }) : new THREE.MeshLambertMaterial({ vertexColors: true, side: THREE.DoubleSide }));
    disposables.push(geometry, material);
    meshes.push({ b, geometry, material, mesh: null });
  }
  if (desc.lights) {
    // three's Lambert BRDF is albedo / π: scaling by π makes a lit surface show albedo × (ambient +
    // intensity × cos θ), so the description's intensities read as fractions of the object's colour.
    scene.add(new THREE.AmbientLight(0xffffff, Math.PI * desc.lights.ambient));
    const d = desc.lights.directional;
    if (d) {
      const light = new THREE.DirectionalLight(0xffffff, Math.PI * d.intensity);
      // The light shines along `direction`: place it against it, aimed at the origin.
      light.position.set(-d.direction[0], -d.direction[1], -d.direction[2]);
      scene.add(light);
      scene.add(light.target);
    }
  }
  scene.updateMatrixWorld(true);
  const s = { id: desc.id, scene, camera: cameraOf(desc.camera), nBodies: desc.bodies.length, meshes, capacity: 0, tileBox: null, background: new THREE.Color(desc.background), disposables };
  reserve(s, 64);
  return s;
}

/** (Re)creates the instanced meshes of scene `s` for at least `n` instances. */
function reserve(s, n) {
  if (s.capacity >= n) return;
  const cap = Math.max(n, 2 * s.capacity);
  s.tileBox = new THREE.InstancedBufferAttribute(new Float32Array(cap * 4), 4);
  s.tileBox.setUsage(THREE.DynamicDrawUsage);
  for (const m of s.meshes) {
    if (m.mesh) {
      s.scene.remove(m.mesh);
      m.mesh.dispose();
    }
    m.geometry.setAttribute('tileBox', s.tileBox);
    const mesh = new THREE.InstancedMesh(m.geometry, m.material, cap);
    mesh.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
    // Instances are spread over tiles by the shader: never cull against the camera's frustum.
    mesh.frustumCulled = false;
    // Static objects: the identity for every instance (their poses are baked into the geometry).
    for (let i = 0; i < cap; i++) mesh.setMatrixAt(i, IDENTITY);
    s.scene.add(mesh);
    m.mesh = mesh;
  }
  s.capacity = cap;
}

const IDENTITY = new THREE.Matrix4();
const scratch = { m: new THREE.Matrix4(), p: new THREE.Vector3(), q: new THREE.Quaternion(), one: new THREE.Vector3(1, 1, 1) };

function target(width, height) {
  const key = `${width}x${height}`;
  let rt = targets.get(key);
  if (!rt) {
    if (targets.size >= 4) {
      for (const t of targets.values()) t.dispose();
      targets.clear();
    }
    rt = new THREE.WebGLRenderTarget(width, height, { depthBuffer: true, stencilBuffer: false, generateMipmaps: false, minFilter: THREE.NearestFilter, magFilter: THREE.NearestFilter });
    targets.set(key, rt);
  }
  return rt;
}

function pow2(n) {
  return 2 ** Math.ceil(Math.log2(n));
}

function decodeF32(b64) {
  const s = atob(b64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/**
 * Draws `count` frames of scene `sceneId` at width × height each. `posesB64`: float32 little-endian,
 * count × bodies × 7 (x, y, z, qx, qy, qz, qw). Returns the pixels, run-length coded, in base64.
 */
function render(sceneId, width, height, count, posesB64) {
  const s = scenes.get(sceneId);
  if (!s) fail(`scene ${JSON.stringify(sceneId)} was not added (have ${[...scenes.keys()].join(', ') || 'none'})`);
  const nb = s.nBodies;
  const poses = decodeF32(posesB64);
  if (poses.length !== count * nb * 7) fail(`render ${sceneId}: ${count} frames × ${nb} bodies need ${count * nb * 7} pose values, got ${poses.length}`);
  const cols = Math.max(1, Math.min(Math.ceil(Math.sqrt((count * height) / width)), Math.floor(MAX_TARGET / width)));
  const rows = Math.ceil(count / cols);
  if (cols * width > MAX_TARGET || rows * height > MAX_TARGET) fail(`render ${sceneId}: ${count} frames of ${width}×${height} do not fit a ${MAX_TARGET}² target; send fewer per batch`);
  // Power-of-two target sides keep the tile mapping exact (see TILE_VERTEX); the frames fill its top left.
  const W = pow2(cols * width);
  const H = pow2(rows * height);
  const r = glRenderer();
  const rt = target(W, H);
  if (s.camera.isPerspectiveCamera && s.camera.aspect !== width / height) {
    s.camera.aspect = width / height;
    s.camera.updateProjectionMatrix();
  }
  reserve(s, count);
  targetSize.value.set(W, H);
  // Frame i goes to column i % cols, row i / cols counted from the top of the image.
  const box = s.tileBox.array;
  for (let i = 0; i < count; i++) {
    const x0 = (i % cols) * width;
    const y0 = H - (((i / cols) | 0) + 1) * height;
    box[4 * i] = x0;
    box[4 * i + 1] = y0;
    box[4 * i + 2] = x0 + width;
    box[4 * i + 3] = y0 + height;
  }
  s.tileBox.needsUpdate = true;
  const { m, p, q, one } = scratch;
  for (const g of s.meshes) {
    g.mesh.count = count;
    if (g.b < 0) continue;
    for (let i = 0; i < count; i++) {
      const o = (i * nb + g.b) * 7;
      m.compose(p.set(poses[o], poses[o + 1], poses[o + 2]), q.set(poses[o + 3], poses[o + 4], poses[o + 5], poses[o + 6]), one);
      g.mesh.setMatrixAt(i, m);
    }
    g.mesh.instanceMatrix.needsUpdate = true;
  }
  r.setClearColor(s.background, 1);
  rt.viewport.set(0, 0, W, H);
  r.setRenderTarget(rt);
  r.clear(true, true, false);
  r.render(s.scene, s.camera);
  // Read back the rows of the tiles only (the top of the target): usedH rows from y = H − usedH.
  const usedW = cols * width;
  const usedH = rows * height;
  if (rgba.length < usedW * usedH * 4) rgba = new Uint8Array(usedW * usedH * 4);
  r.readRenderTargetPixels(rt, 0, H - usedH, usedW, usedH, rgba);
  r.setRenderTarget(null);
  const frameBytes = width * height * 3;
  if (rgb.length < count * frameBytes) rgb = new Uint8Array(count * frameBytes);
  // readPixels rows run bottom-up; the output is top row first, frame after frame.
  for (let i = 0; i < count; i++) {
    const x0 = (i % cols) * width;
    const top = usedH - 1 - ((i / cols) | 0) * height;
    let o = i * frameBytes;
    for (let y = 0; y < height; y++) {
      let p = ((top - y) * usedW + x0) * 4;
      for (let x = 0; x < width; x++, p += 4) {
        rgb[o++] = rgba[p];
        rgb[o++] = rgba[p + 1];
        rgb[o++] = rgba[p + 2];
      }
    }
  }
  return packRuns(rgb.subarray(0, count * frameBytes)).toBase64();
}

let packed = new Uint8Array(0);

/**
 * PackBits over RGB pixels: a header byte h < 128 is followed by one pixel repeated h + 1 times; h ≥ 128
 * by h − 127 literal pixels. Never more than 1/128 larger than the input.
 */
function packRuns(src) {
  const n = src.length / 3;
  const cap = src.length + Math.ceil(n / 128) + 1;
  if (packed.length < cap) packed = new Uint8Array(cap);
  let o = 0;
  let i = 0;
  while (i < n) {
    let j = i + 1;
    const p = 3 * i;
    while (j < n && j - i < 128 && src[3 * j] === src[p] && src[3 * j + 1] === src[p + 1] && src[3 * j + 2] === src[p + 2]) j++;
    if (j - i > 1) {
      packed[o++] = j - i - 1;
      packed[o++] = src[p];
      packed[o++] = src[p + 1];
      packed[o++] = src[p + 2];
      i = j;
      continue;
    }
    // Literal stretch: up to the next pair of equal pixels.
    const start = i;
    while (j < n && j - start < 128) {
      const a = 3 * (j - 1);
      const b = 3 * j;
      if (src[a] === src[b] && src[a + 1] === src[b + 1] && src[a + 2] === src[b + 2]) {
        j--;
        break;
      }
      j++;
    }
    if (j <= start) j = start + 1;
    packed[o++] = 127 + (j - start);
    for (let k = 3 * start; k < 3 * j; k++) packed[o++] = src[k];
    i = j;
  }
  return packed.subarray(0, o);
}

function addScene(desc) {
  const old = scenes.get(desc.id);
  if (old) {
    for (const m of old.meshes) m.mesh?.dispose();
    for (const d of old.disposables) d.dispose();
  }
  scenes.set(desc.id, buildScene(desc));
  return true;
}

function info() {
  const r = glRenderer();
  const gl = r.getContext();
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return {
    userAgent: navigator.userAgent,
    webgl: ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
    maxTarget: Math.min(MAX_TARGET, gl.getParameter(gl.MAX_RENDERBUFFER_SIZE), gl.getParameter(gl.MAX_TEXTURE_SIZE)),
    webcodecs: typeof VideoEncoder === 'function',
  };
}

/**
 * Encodes `count` RGB frames (GET /blob/<inId>, width × height × 3 each) as an MP4 with WebCodecs through
 * mediabunny's muxer. Returns { codec, mp4 (base64) }, or null when the browser can encode none of the
 * codecs at this size.
 */
async function encodeMp4(inId, width, height, count, fps) {
  const mb = await import('mediabunny');
  let codec = null;
  for (const c of ['avc', 'vp9', 'av1']) {
    if (await mb.canEncodeVideo(c, { width, height, bitrate: 1e6 })) {
      codec = c;
      break;
    }
  }
  if (codec === null) return null;
  const res = await fetch(`/blob/${inId}`);
  if (!res.ok) fail(`encodeMp4: frames blob ${inId} answered ${res.status}`);
  const frames = new Uint8Array(await res.arrayBuffer());
  const frameBytes = width * height * 3;
  if (frames.length !== count * frameBytes) fail(`encodeMp4: ${count} frames of ${width}×${height}×3 need ${count * frameBytes} bytes, got ${frames.length}`);
  const output = new mb.Output({ format: new mb.Mp4OutputFormat({ fastStart: 'in-memory' }), target: new mb.BufferTarget() });
  // Small synthetic frames: a fixed bitrate well above what 96² at 10 fps needs keeps edges crisp.
  const source = new mb.VideoSampleSource({ codec, bitrate: Math.max(2e5, width * height * fps * 2), keyFrameInterval: 5 });
  output.addVideoTrack(source, { frameRate: fps });
  await output.start();
  const rgbx = new Uint8Array(width * height * 4);
  for (let k = 0; k < count; k++) {
    let p = k * frameBytes;
    for (let q = 0; q < rgbx.length; q += 4) {
      rgbx[q] = frames[p++];
      rgbx[q + 1] = frames[p++];
      rgbx[q + 2] = frames[p++];
      rgbx[q + 3] = 255;
    }
    const sample = new mb.VideoSample(rgbx, { format: 'RGBX', codedWidth: width, codedHeight: height, timestamp: k / fps, duration: 1 / fps });
    await source.add(sample);
    sample.close();
  }
  await output.finalize();
  return { codec, mp4: new Uint8Array(output.target.buffer).toBase64() };
}

export function install() {
  window.dpbench = { addScene, render, info, encodeMp4 };
  window.dpbenchReady = true;
}
