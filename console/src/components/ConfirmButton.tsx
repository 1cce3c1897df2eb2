import { useEffect, useRef, useState, type ReactNode } from 'react';

/**
 * A destructive action in two steps, inline (no modal): the first press asks the question beside
 * the button, the second confirms. Focus goes to "Cancel" so that a repeated Enter never confirms.
 */
export function ConfirmButton({ label, question, confirmLabel, onConfirm, disabled }: {
  label: ReactNode; question: string; confirmLabel: string; onConfirm: () => Promise<void> | void; disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => { if (asking) cancel.current?.focus(); }, [asking]);
  if (!asking) return <button type="button" className="danger" disabled={disabled} onClick={() => setAsking(true)}>{label}</button>;
  const confirm = async () => {
    setBusy(true);
    try { await onConfirm(); } finally { setBusy(false); setAsking(false); }
  };
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span className="confirm-question">{question}</span>
      <button type="button" className="danger" disabled={busy} aria-busy={busy} onClick={() => void confirm()}>{confirmLabel}</button>
      <button type="button" ref={cancel} onClick={() => setAsking(false)}>Cancel</button>
    </span>
  );
}
