/** The server's validation message for one field, referenced by the field's aria-describedby. */
export function FieldError({ id, message }: { id: string; message?: string }) {
  return message ? <span id={id} className="error field-error" data-testid="field-error">{message}</span> : null;
}

/** The props that tie an input to its FieldError. */
export function invalidProps(id: string, message?: string) {
  return message ? { 'aria-invalid': true as const, 'aria-describedby': id } : {};
}
