import { useAuth } from '@archon/auth-react';
import { adminApi } from '../admin-api';
import { Status } from './Status';
import { useLoad } from './useLoad';

/** GET /audit/verify: the server re-walks the hash chain; intact, or where it first breaks. */
export function ChainState() {
  const { client } = useAuth();
  const { data, error, loading, reload } = useLoad(() => adminApi.verifyAudit(client), 'verify');
  return (
    <section className="card chain" aria-labelledby="chain-h">
      <h2 id="chain-h">Chain verification</h2>
      <Status loading={loading && !data} error={error} what="the chain's state" />
      {data && (
        <p data-testid="chain-state" className={data.intact ? 'chain-ok' : 'chain-broken'}>
          {data.intact
            ? <>Intact, {data.events} events: every event's hash follows from the one before.</>
            : <>Broken at seq {data.firstBrokenSeq ?? '?'} ({data.events} events): that event or an earlier one was altered or removed.</>}
        </p>
      )}
      <button type="button" disabled={loading} onClick={reload}>Verify again</button>
    </section>
  );
}
