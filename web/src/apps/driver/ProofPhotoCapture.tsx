/**
 * The driver's proof photo: the phone's camera (`capture="environment"`),
 * scaled down in the browser, uploaded to POST /v1/orders/{id}/proof-photos
 * as soon as it is taken. The URL the API answers is what /deliver receives
 * as `photoUrl` (docs/decisions/0070). The preview is the local file: the
 * photo is never read back from the server here.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { toApiProblem, type ApiProblem } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import type { AppSession } from '../shared/session';
import type * as Api from '../../api/schema.gen';

/** Longest side after scaling: plenty to see a parcel at a door, a few hundred KB as JPEG. */
const MAX_SIDE = 1600;
/** The API's cap (5 MiB); a photo that cannot be scaled is sent as it is only under it. */
const MAX_BYTES = 5 * 1024 * 1024;

type UploadedPhoto = Api.ProofPhoto;

/** Scales the photo to MAX_SIDE as JPEG; the original when the browser cannot decode it (the API then says why). */
export async function preparePhoto(file: Blob): Promise<Blob> {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.size <= MAX_BYTES && (file.type === 'image/jpeg' || file.type === 'image/webp')) {
      bitmap.close();
      return file;
    }
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
    return blob ?? file;
  } catch {
    return file;
  }
}

export function ProofPhotoCapture({ session, orderId, onChange }: { session: AppSession; orderId: string; onChange: (photoUrl: string | null) => void }) {
  const id = useId();
  const [state, setState] = useState<'empty' | 'uploading' | 'uploaded' | 'failed'>('empty');
  const [preview, setPreview] = useState<string | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  // Only the latest photo counts when the driver takes another before the first is uploaded.
  const latest = useRef(0);

  useEffect(() => () => {
    if (preview) URL.revokeObjectURL(preview);
  }, [preview]);

  async function take(file: File | undefined) {
    const attempt = ++latest.current;
    onChange(null);
    setProblem(null);
    if (!file) {
      setState('empty');
      setPreview(null);
      return;
    }
    setPreview(URL.createObjectURL(file));
    setState('uploading');
    try {
      const photo = await preparePhoto(file);
      const uploaded = await session.fetch<UploadedPhoto>(`/v1/orders/${encodeURIComponent(orderId)}/proof-photos`, {
        method: 'POST',
        headers: { 'Content-Type': photo.type || 'application/octet-stream' },
        body: photo,
      });
      if (attempt !== latest.current) return;
      setState('uploaded');
      onChange(uploaded.url);
    } catch (error) {
      if (attempt !== latest.current) return;
      setState('failed');
      setProblem(toApiProblem(error));
    }
  }

  return (
    <div className="form-field">
      <label htmlFor={`${id}-photo`}>Photo of the delivery</label>
      <input
        id={`${id}-photo`}
        type="file"
        accept="image/*"
        capture="environment"
        required
        onChange={(e) => void take(e.target.files?.[0])}
        aria-describedby={`${id}-photo-hint`}
        aria-invalid={state === 'failed' ? true : undefined}
      />
      <p id={`${id}-photo-hint`} className="hint" role="status" data-photo-state={state}>
        {state === 'uploading'
          ? 'Uploading the photo…'
          : state === 'uploaded'
            ? 'Photo uploaded ✓'
            : state === 'failed'
              ? 'The photo was not uploaded: take it again.'
              : 'Take a photo of the order where you left it.'}
      </p>
      {problem ? <ProblemAlert problem={problem} context="Photo not uploaded" /> : null}
      {preview ? <img src={preview} alt="The photo you took" className="proof-photo-preview" style={{ maxWidth: '100%', maxHeight: 240, borderRadius: 8 }} /> : null}
    </div>
  );
}
