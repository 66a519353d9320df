import type { ReactNode } from 'react';
import { useDocumentTitle } from '../hooks/useDocumentTitle';

interface PageHeadingProps {
  title: string;
  /** Document title; defaults to `title`. Pass `null` for the bare app name. */
  documentTitle?: string | null;
  children?: ReactNode;
}

/**
 * The page's single `<h1>` (focusable programmatically so focus can move to
 * it after navigation) plus an optional lead paragraph.
 */
export function PageHeading({ title, documentTitle, children }: PageHeadingProps) {
  useDocumentTitle(documentTitle === null ? undefined : (documentTitle ?? title));
  return (
    <div className="page-heading">
      <h1 tabIndex={-1}>{title}</h1>
      {children ? <p className="lead">{children}</p> : null}
    </div>
  );
}
