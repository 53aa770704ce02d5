/**
 * What `VerificationWorkflow` changes in `statemachine/verification.asl.json` for the image
 * retention, as a pure function of the definition (no CDK), so the statemachine tests execute
 * exactly what each setting deploys.
 */

/** The parts of an ASL state that name another state. */
export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  SecondsPath?: string;
  Choices?: ({ Next: string } & Record<string, unknown>)[];
  Catch?: ({ Next: string } & Record<string, unknown>)[];
  [field: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [field: string]: unknown;
}

/** Where the image hold reads its wait: the execution input's `imageRetentionSeconds`. */
export const IMAGE_HOLD_SECONDS_PATH = '$.imageRetentionSeconds';

/** The names of the image holds: the Wait states that wait `imageRetentionSeconds`. */
export function imageHolds(definition: AslDefinition): string[] {
  return Object.entries(definition.States)
    .filter(([, s]) => s.Type === 'Wait' && s.SecondsPath === IMAGE_HOLD_SECONDS_PATH)
    .map(([name]) => name);
}

/**
 * The definition with every image hold taken out: whatever went to a hold goes where the hold
 * went (`FetchResult` → `DeleteImages`), so an image retention of 0 costs no state transition.
 * Nothing else changes. A copy; the argument is left as it is.
 */
export function withoutImageHold(definition: AslDefinition): AslDefinition {
  // ASL is JSON: copied through JSON, the copy is plain objects of the caller's own realm.
  const copy = JSON.parse(JSON.stringify(definition)) as AslDefinition;
  for (const hold of imageHolds(copy)) {
    const target = copy.States[hold]!.Next;
    if (target === undefined) throw new Error(`The image hold ${hold} must go on to a state (Next)`);
    const to = (name: string) => (name === hold ? target : name);
    delete copy.States[hold];
    copy.StartAt = to(copy.StartAt);
    for (const state of Object.values(copy.States)) {
      if (state.Next !== undefined) state.Next = to(state.Next);
      if (state.Default !== undefined) state.Default = to(state.Default);
      for (const rule of [...(state.Choices ?? []), ...(state.Catch ?? [])]) rule.Next = to(rule.Next);
    }
  }
  return copy;
}

/**
 * The definition deployed for an image retention: without the hold at 0 seconds, as written
 * otherwise. `undefined` (a deploy-time value, unknown at synth) keeps the hold: it waits whatever
 * the execution input says, 0 included.
 */
export function forImageRetention(definition: AslDefinition, seconds: number | undefined): AslDefinition {
  return seconds === 0 ? withoutImageHold(definition) : definition;
}
