import { useEffect, useState, type FormEvent } from 'react';
import { useAuth } from '@archon/auth-react';
import type { AgentAuth, AgentType } from '@archon/auth-client';

const SPEC_REQUEST = ['file:read', 'file:write', 'git:commit', 'npm:install'];

export function AgentsPage() {
  const { client, authenticateAgent } = useAuth();
  const [types, setTypes] = useState<AgentType[]>([]);
  const [agentType, setAgentType] = useState('code_implementer');
  const [caps, setCaps] = useState<string[]>(SPEC_REQUEST);
  const [result, setResult] = useState<AgentAuth | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => { client.getAgentTypes().then(setTypes, (e: Error) => setProblem(e.message)); }, [client]);
  const type = types.find((t) => t.name === agentType);
  const toggle = (c: string) => setCaps((cur) => (cur.includes(c) ? cur.filter((x) => x !== c) : [...cur, c]));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    try {
      setResult(await authenticateAgent(agentType, caps, { task_type: 'feature_implementation', estimated_duration: 600 }));
    } catch (err) {
      setResult(null);
      setProblem((err as Error).message);
    }
  };

  return (
    <section>
      <h1>Agent token</h1>
      <form onSubmit={submit}>
        <label htmlFor="agent-type">Agent type</label>
        <select id="agent-type" value={agentType} onChange={(e) => setAgentType(e.target.value)}>
          {types.map((t) => <option key={t.name} value={t.name} disabled={t.runnable === false}>{t.name}{t.runnable === false ? ' (not yours)' : ''}</option>)}
        </select>
        <fieldset>
          <legend>Capabilities to request</legend>
          {(type?.capabilities ?? SPEC_REQUEST).map((c) => (
            <label key={c} style={{ fontWeight: 'normal', display: 'block' }}>
              <input type="checkbox" checked={caps.includes(c)} onChange={() => toggle(c)} /> {c}
            </label>
          ))}
        </fieldset>
        <button type="submit">Request agent token</button>
      </form>
      {problem && <p role="alert">{problem}</p>}
      {result && (
        <div data-testid="agent-result">
          <h2>Granted</h2>
          <ul aria-label="Granted">{result.capabilitiesGranted.map((c) => <li key={c}><code>{c}</code></li>)}</ul>
          <h2>Denied</h2>
          <ul aria-label="Denied">
            {result.capabilitiesDenied.map((c) => <li key={c}><code>{c}</code>: {result.denialReasons?.[c] ?? 'denied'}</li>)}
          </ul>
          <p>Restrictions: paths <code>{result.restrictions.filePaths.join(', ')}</code>, branches{' '}
            <code>{result.restrictions.gitBranches.join(', ')}</code>, max size <code>{String(result.restrictions.maxFileSize ?? 'none')}</code>.
            Expires in {result.expiresIn} s.</p>
        </div>
      )}
    </section>
  );
}
