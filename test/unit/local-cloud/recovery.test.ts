import {
  LOCAL_RESTART_REASON,
  recoverAfterRestart,
  type RecoveryDeps,
  type StoredVerification,
} from '../../../local/cloud/recovery';

/**
 * A table of verifications after a restart, with the emulators' side reduced to what recovery
 * asks of them: a started execution re-enters the wait the way AwaitUpload would.
 */
function world(
  verifications: StoredVerification[],
  options: { startFails?: string[]; objects?: string[] } = {},
) {
  const table = new Map(verifications.map((v) => [v.id, structuredClone(v)]));
  const calls: string[] = [];
  const deps: RecoveryDeps = {
    verifications: async () => [...table.values()].map((v) => structuredClone(v)),
    get: async (id) => structuredClone(table.get(id)),
    startExecution: async (id) => {
      calls.push(`start ${id}`);
      if (options.startFails?.includes(id))
        throw Object.assign(new Error('boom'), { name: 'ServiceUnavailable' });
      const v = table.get(id)!;
      // The new execution's AwaitUpload: same step, attempt unchanged (the lost one was never recorded).
      setTimeout(() => {
        if (v.awaiting) v.awaiting = { step: v.awaiting.step, attempt: v.awaiting.attempt, claimed: false };
        if (v.status === 'processing' && v.awaiting) v.status = 'awaiting_upload';
      }, 20);
    },
    startBerbixDeletion: async (id) => {
      calls.push(`delete at Berbix ${id}`);
    },
    invokeTask: async (fn, payload) => {
      calls.push(`${fn} ${JSON.stringify(payload)}`);
      return true;
    },
    redeliverUpload: async (key) => {
      calls.push(`redeliver ${key}`);
      return options.objects?.includes(key) ?? true;
    },
    log: () => undefined,
    waitMs: 2_000,
  };
  return { deps, calls };
}

const claimed = (id: string, step: string, key: string): StoredVerification => ({
  id,
  status: 'processing',
  awaiting: { step, attempt: 1, claimed: true, uploadKey: key },
});

describe('recovering verifications after a --persist restart', () => {
  it('starts a new execution for every verification that was creating, awaiting an upload or processing', async () => {
    const { deps, calls } = world([
      { id: 'vrf_creating', status: 'creating' },
      { id: 'vrf_waiting', status: 'awaiting_upload', awaiting: { step: 'document_front', attempt: 1 } },
      { id: 'vrf_done', status: 'completed', imagesDeletedAt: '2026-01-01T00:00:00Z' },
      { id: 'vrf_failed', status: 'failed' },
      { id: 'vrf_gone', status: 'deleted' },
    ]);
    const summary = await recoverAfterRestart(deps);
    expect(summary.resumed.sort()).toEqual(['vrf_creating', 'vrf_waiting']);
    expect(calls.sort()).toEqual(['start vrf_creating', 'start vrf_waiting']);
  });

  it('delivers a claimed photo again once the new execution waits for the same step and attempt', async () => {
    const key = 'uploads/vrf_claimed/document_back/1-0123456789abcdef.jpg';
    const { deps, calls } = world([claimed('vrf_claimed', 'document_back', key)]);
    const summary = await recoverAfterRestart(deps);
    expect(summary).toMatchObject({ resumed: ['vrf_claimed'], redelivered: ['vrf_claimed'] });
    expect(calls).toEqual(['start vrf_claimed', `redeliver ${key}`]);
  });

  it('does not deliver a claimed id scan again (its scan key must be recorded by a new POST)', async () => {
    const key = 'uploads/vrf_scan/id_scan/1-0123456789abcdef.pdf417';
    const { deps, calls } = world([claimed('vrf_scan', 'id_scan', key)]);
    expect(await recoverAfterRestart(deps)).toMatchObject({ resumed: ['vrf_scan'], redelivered: [] });
    expect(calls).toEqual(['start vrf_scan']);
  });

  it('reports no redelivery when the claimed object is gone', async () => {
    const key = 'uploads/vrf_lost/document_front/1-0123456789abcdef.jpg';
    const { deps } = world([claimed('vrf_lost', 'document_front', key)], { objects: [] });
    expect(await recoverAfterRestart(deps)).toMatchObject({ resumed: ['vrf_lost'], redelivered: [] });
  });

  it('closes a verification as failed with local_restart when no execution can start', async () => {
    const { deps, calls } = world([{ id: 'vrf_stuck', status: 'awaiting_upload' }], {
      startFails: ['vrf_stuck'],
    });
    const summary = await recoverAfterRestart(deps);
    expect(summary).toMatchObject({ resumed: [], closed: ['vrf_stuck'] });
    expect(calls).toContain(
      `CloseVerificationFn ${JSON.stringify({ verificationId: 'vrf_stuck', outcome: 'failed', reason: LOCAL_RESTART_REASON })}`,
    );
  });

  it('deletes the images a completed verification was still holding for its retention', async () => {
    const { deps, calls } = world([{ id: 'vrf_held', status: 'completed' }]);
    expect(await recoverAfterRestart(deps)).toMatchObject({ imagesDeleted: ['vrf_held'], resumed: [] });
    expect(calls).toEqual([`DeleteImagesFn ${JSON.stringify({ verificationId: 'vrf_held' })}`]);
  });

  it('starts a pending Berbix deletion again, and leaves finished ones alone', async () => {
    const { deps, calls } = world([
      { id: 'vrf_pending', status: 'deleted', berbixDeletion: 'pending' },
      { id: 'vrf_deleted', status: 'deleted', berbixDeletion: 'done' },
    ]);
    expect(await recoverAfterRestart(deps)).toMatchObject({ deletionsResumed: ['vrf_pending'], resumed: [] });
    expect(calls).toEqual(['delete at Berbix vrf_pending']);
  });

  it('does nothing on a table with nothing in flight', async () => {
    const { deps, calls } = world([]);
    expect(await recoverAfterRestart(deps)).toEqual({
      resumed: [],
      redelivered: [],
      closed: [],
      imagesDeleted: [],
      deletionsResumed: [],
    });
    expect(calls).toEqual([]);
  });
});
