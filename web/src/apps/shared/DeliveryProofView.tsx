import { useEffect, useState } from 'react';
import type { AppSession } from './session';
import type { Order } from './types';
import { formatDateTime } from './format';

/**
 * How the handover was proven. A photo is served only with the caller's
 * credentials (it shows someone's door), so it is fetched with the app's
 * session cookie and shown from a blob URL, never linked directly.
 */
export function DeliveryProofView({ session, proof }: { session: AppSession; proof: NonNullable<Order['deliveryProof']> }) {
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!proof.photoUrl) return;
    let objectUrl: string | null = null;
    let cancelled = false;
    void (async () => {
      try {
        const res = await session.fetchRaw(new URL(proof.photoUrl!).pathname);
        if (!res.ok) throw new Error(String(res.status));
        objectUrl = URL.createObjectURL(await res.blob());
        if (!cancelled) setSrc(objectUrl);
      } catch {
        if (!cancelled) setFailed(true);
      }
    })();
    return () => {
      cancelled = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [session, proof.photoUrl]);

  return (
    <dl className="kv" data-testid="delivery-proof">
      <dt>Proof</dt>
      <dd>{proof.method === 'pin' ? 'The customer’s code' : 'A photo at the door'}</dd>
      <dt>At</dt>
      <dd>{formatDateTime(proof.at)}</dd>
      {proof.photoUrl ? (
        <>
          <dt>Photo</dt>
          <dd>{src ? <img src={src} alt="The delivery at the door, taken by the driver" style={{ maxWidth: '100%', borderRadius: 8 }} /> : failed ? <span className="muted">The photo could not be loaded.</span> : <span role="status">Loading the photo…</span>}</dd>
        </>
      ) : null}
    </dl>
  );
}
