/**
 * The renderer's page server: a node:http server on 127.0.0.1 (a secure context, so WebCodecs works; `file://`
 * would block the page's ES-module imports). It serves
 *
 *   /                     the page (src/render/page/index.html, whose import map points `three` and
 *   /page/<file>          `mediabunny` at the files below)
 *   /three/<file>         node_modules/three/build
 *   /mediabunny.mjs       mediabunny's browser bundle (the MP4 muxer)
 *
 * and hands the page bulk input without base64 over the DevTools protocol: Node `offer`s bytes the page
 * GETs from /blob/<id> (the frames of a video to encode). Requests only arrive from the loopback interface.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { ROOT } from '../util/env-info.ts';

const PAGE_DIR = path.join(ROOT, 'src', 'render', 'page');
const THREE_DIR = path.join(ROOT, 'node_modules', 'three', 'build');
const MEDIABUNNY = path.join(ROOT, 'node_modules', 'mediabunny', 'dist', 'bundles', 'mediabunny.min.mjs');

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript' };

export class PageServer {
  private readonly offered = new Map<string, Uint8Array>();
  private readonly files = new Map<string, Buffer>();
  private nextId = 0;

  private constructor(private readonly server: Server, readonly origin: string) {}

  static async start(): Promise<PageServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const ps = new PageServer(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => ps.handle(req, res));
    // Keep-alive sockets would hold `close()` open until they time out.
    server.keepAliveTimeout = 1000;
    return ps;
  }

  /** A fresh id for a blob exchanged with the page. */
  newId(prefix: string): string {
    return `${prefix}-${++this.nextId}`;
  }

  /** Makes `bytes` available to the page at /blob/<id> until `withdraw(id)`. */
  offer(id: string, bytes: Uint8Array): void {
    this.offered.set(id, bytes);
  }

  withdraw(id: string): void {
    this.offered.delete(id);
  }

  async close(): Promise<void> {
    this.offered.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.origin);
    const p = decodeURIComponent(url.pathname);
    if (p.startsWith('/blob/')) return this.blob(p.slice('/blob/'.length), req, res);
    if (req.method !== 'GET') return void res.writeHead(405).end();
    let file: string | null = null;
    if (p === '/' || p === '/index.html') file = path.join(PAGE_DIR, 'index.html');
    else if (p === '/mediabunny.mjs') file = MEDIABUNNY;
    else if (p.startsWith('/page/')) file = inside(PAGE_DIR, p.slice('/page/'.length));
    else if (p.startsWith('/three/')) file = inside(THREE_DIR, p.slice('/three/'.length));
    if (file === null || !existsSync(file)) return void res.writeHead(404).end(`not found: ${p}`);
    let body = this.files.get(file);
    if (!body) {
      body = readFileSync(file);
      // Page sources are re-read while developing them; the large libraries are cached.
      if (!file.startsWith(PAGE_DIR)) this.files.set(file, body);
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  }

  private blob(id: string, req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') return void res.writeHead(405).end();
    const bytes = this.offered.get(id);
    if (!bytes) return void res.writeHead(404).end(`no blob ${id}`);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.byteLength });
    res.end(bytes);
  }
}

/** `rel` resolved inside `dir`, or null when it would escape it. */
function inside(dir: string, rel: string): string | null {
  const full = path.resolve(dir, rel);
  return full.startsWith(dir + path.sep) ? full : null;
}
