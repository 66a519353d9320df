import type { InputHTMLAttributes, ReactNode, Ref, SelectHTMLAttributes } from 'react';

interface FieldShellProps {
  id: string;
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  children: (describedBy: string | undefined) => ReactNode;
}

/** A labelled control with its hint and error, wired for screen readers (aria-describedby / aria-invalid). */
function FieldShell({ id, label, hint, error, children }: FieldShellProps) {
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className="form-field">
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      ) : null}
      {children(describedBy)}
      {error ? (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

type InputFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> & { id: string; label: string; hint?: ReactNode; error?: string | undefined };

export function InputField({ id, label, hint, error, ...input }: InputFieldProps) {
  return (
    <FieldShell id={id} label={label} hint={hint} error={error}>
      {(describedBy) => <input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />}
    </FieldShell>
  );
}

type SelectFieldProps = Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id'> & {
  id: string;
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  children: ReactNode;
};

export function SelectField({ id, label, hint, error, children, ...select }: SelectFieldProps) {
  return (
    <FieldShell id={id} label={label} hint={hint} error={error}>
      {(describedBy) => (
        <select id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...select}>
          {children}
        </select>
      )}
    </FieldShell>
  );
}

/** The list of what is wrong, announced when it appears; each entry jumps to its field. */
export function ErrorSummary({
  title,
  errors,
  fieldIds,
  id,
  ref,
}: {
  title: string;
  errors: Record<string, string>;
  fieldIds: Record<string, string>;
  id: string;
  ref?: Ref<HTMLDivElement>;
}) {
  const entries = Object.entries(errors);
  return (
    <div id={id} ref={ref} role="alert" tabIndex={-1} className="alert alert--error error-summary">
      <p className="alert__title">{title}</p>
      {entries.length > 0 ? (
        <ul>
          {entries.map(([field, message]) => (
            <li key={field}>{fieldIds[field] ? <a href={`#${fieldIds[field]}`}>{message}</a> : message}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
