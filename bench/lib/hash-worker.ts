/**
 * A Worker that only hashes passwords, to time one hash inside workerd with
 * the platform's own code (bench/auth-login.ts bundles it with esbuild and
 * runs it in Miniflare). `GET /?n=10` hashes ten times and answers when done.
 */
import { CURRENT_PARAMS, hashPassword } from '../../workers/services/auth/password';

export default {
  async fetch(request: Request): Promise<Response> {
    const n = Math.min(100, Math.max(1, Number(new URL(request.url).searchParams.get('n') ?? 1)));
    for (let i = 0; i < n; i++) await hashPassword(`benchmark password ${i}`);
    return Response.json({ n, params: CURRENT_PARAMS });
  },
};
