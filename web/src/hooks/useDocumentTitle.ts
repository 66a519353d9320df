import { useEffect } from 'react';

const APP_NAME = 'Delivery Platform';

/** Sets `document.title` to "<title> · Delivery Platform" (or the app name alone). */
export function useDocumentTitle(title?: string): void {
  useEffect(() => {
    document.title = title ? `${title} · ${APP_NAME}` : APP_NAME;
  }, [title]);
}
