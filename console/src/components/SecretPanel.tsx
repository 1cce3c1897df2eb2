import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useAnnounce } from './Announcer';

/**
 * A secret the server shows exactly once (an API key, a webhook signing secret): a read-only
 * field, a copy button and a warning, until the administrator dismisses it. Focus moves to its
 * heading so that keyboard and screen-reader users meet it first.
 */
export function SecretPanel({ title, label, secret, children, onDismiss }: {
  title: string; label: string; secret: string; children?: ReactNode; onDismiss: () => void;
}) {
  const id = useId();
  const announce = useAnnounce();
  const heading = useRef<HTMLHeadingElement>(null);
  const field = useRef<HTMLTextAreaElement>(null);
  const [copyNote, setCopyNote] = useState('');
  useEffect(() => { heading.current?.focus(); }, [secret]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopyNote('Copied to the clipboard.');
      announce(`${label} copied to the clipboard`);
    } catch {
      // No clipboard permission (e.g. plain http on another host): select it for a manual copy.
      field.current?.select();
      setCopyNote('The browser refused the clipboard: the text is selected, copy it with Ctrl+C.');
    }
  };
  return (
    <section className="card secret-panel" aria-labelledby={`${id}-h`} data-testid="secret-panel">
      <h2 id={`${id}-h`} tabIndex={-1} ref={heading}>{title}</h2>
      <p className="notice"><strong>Copy it now: this is the only time it is shown.</strong> The server keeps only a hash;
        nobody can show it again. Store it in a secret manager, never in source code.</p>
      {children}
      <div className="field">
        <label htmlFor={`${id}-s`}>{label}</label>
        <textarea id={`${id}-s`} ref={field} className="secret" readOnly value={secret} rows={2} spellCheck={false}
          onFocus={(e) => e.currentTarget.select()} />
      </div>
      <div className="row">
        <button type="button" onClick={() => void copy()}>Copy<span className="visually-hidden"> {label}</span></button>
        <button type="button" onClick={onDismiss}>I have stored it, dismiss</button>
        <span className="muted small" role="status">{copyNote}</span>
      </div>
    </section>
  );
}
