// Baseline: the same Worker without the SDK in the bundle.
export default {
  async fetch(request: Request): Promise<Response> {
    return new URL(request.url).pathname === '/noop' ? new Response('ok') : new Response('not found', { status: 404 });
  },
};
