/**
 * The runtime's own floor for a frame that reaches JavaScript (issue 14,
 * goal 5): a Worker whose Durable Object accepts hibernatable WebSockets and
 * whose `webSocketMessage` only counts, on the same workerd build as the
 * platform (served by wrangler's createTestHarness as the platform is in the
 * benchmarks). Frames from the same load threads to its entry socket cost
 * the runtime what any object pays to be handed a frame, with none of the
 * shard's code.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestHarness } from 'wrangler';
import { platformCompatibility, runtimeEntry } from './runtime-entry';

/** Answers `/healthz` (so bench/lib/runtime-entry.ts finds it), `/count`, and upgrades anything else into the one object. */
const SCRIPT = `
import { DurableObject } from 'cloudflare:workers';
export class Empty extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.frames = 0;
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }
  async fetch(request) {
    if (new URL(request.url).pathname === '/count') return new Response(String(this.frames));
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    pair[1].send('{"type":"session"}');
    return new Response(null, { status: 101, webSocket: pair[0] });
  }
  webSocketMessage() {
    this.frames++;
  }
}
export default {
  fetch(request, env) {
    if (new URL(request.url).pathname === '/healthz') return new Response('ok');
    return env.EMPTY.getByName('one').fetch(request);
  },
};
`;

export interface EmptyObject {
  /** The runtime workerd's pid and its entry socket. */
  entry: { pid: number; origin: string };
  /** Frames the object has been handed. */
  frames(): Promise<number>;
  dispose(): Promise<void>;
}

/** Served the way the platform is in the benchmarks: wrangler's createTestHarness, its runtime's entry socket. */
export async function startEmptyObject(): Promise<EmptyObject> {
  const compatibility = platformCompatibility();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-empty-object-'));
  writeFileSync(path.join(dir, 'index.js'), SCRIPT);
  writeFileSync(
    path.join(dir, 'wrangler.toml'),
    [
      'name = "empty-object"',
      'main = "index.js"',
      `compatibility_date = "${compatibility.date}"`,
      `compatibility_flags = ${JSON.stringify(compatibility.flags)}`,
      '[[durable_objects.bindings]]',
      'name = "EMPTY"',
      'class_name = "Empty"',
      '[[migrations]]',
      'tag = "v1"',
      'new_sqlite_classes = ["Empty"]',
      '',
    ].join('\n'),
  );
  const server = createTestHarness({ root: dir, workers: [{ configPath: path.join(dir, 'wrangler.toml') }] });
  try {
    const { url } = await server.listen();
    const entry = await runtimeEntry(url);
    return {
      entry,
      frames: async () => Number(await (await fetch(`${entry.origin}/count`)).text()),
      dispose: async () => {
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
