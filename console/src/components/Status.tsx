/** Loading and error states of a section, announced. */
export function Status({ loading, error, what }: { loading: boolean; error: string; what: string }) {
  if (error) return <p role="alert" className="error">Could not load {what}: {error}</p>;
  if (loading) return <p role="status" className="muted">Loading {what}…</p>;
  return null;
}
