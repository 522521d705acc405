// Owns versioning: `patched` and `deprecatePatch` (Temporal's), and the marker they record.
import type { Command } from '../../protocol/commands.js';
import type { Payload } from '../../protocol/payload.js';
import { utf8ToBase64 } from '../common/encoding.js';
import { IllegalStateError } from '../common/index.js';
import { PATCH_MARKER_DETAILS_KEY, PATCH_MARKER_NAME } from './activation.js';
import type { Activator } from './activator.js';
import { assertInWorkflowContext } from './global-state.js';

/**
 * The marker command of a patch. The details payload is plain JSON whatever the payload converter,
 * so that the worker can read it back from history (as Temporal's core does).
 */
export function patchMarkerCommand(patchId: string, deprecated: boolean): Command {
  const payload: Payload = {
    metadata: { encoding: utf8ToBase64('json/plain') },
    data: utf8ToBase64(JSON.stringify({ id: patchId, deprecated })),
  };
  return { type: 'RecordMarker', markerName: PATCH_MARKER_NAME, details: { [PATCH_MARKER_DETAILS_KEY]: [payload] } };
}

/**
 * Whether the run takes the patched branch, as Temporal decides: when the code runs for the first
 * time (not replaying) it does, and a marker is recorded; on replay it does only if history has
 * the marker. The answer is memoized per patch id for the rest of the run.
 */
export function patchInternal(activator: Activator, patchId: string, deprecated: boolean): boolean {
  activator.assertNotInQuery(deprecated ? 'deprecatePatch()' : 'patched()');
  if (!activator.startInfo) throw new IllegalStateError('Patches cannot be used before the workflow starts');
  const known = activator.patchDecisions.get(patchId);
  if (known !== undefined) return known;
  const usePatch = !activator.isReplaying || activator.knownPresentPatches.has(patchId);
  if (usePatch) activator.pushCommand(patchMarkerCommand(patchId, deprecated));
  activator.patchDecisions.set(patchId, usePatch);
  return usePatch;
}

/**
 * Versioning: returns true when the run should take the new code path. A run that executed this
 * point before the patch existed replays the old path (false); every other run takes the new one
 * (true), and history records a `MarkerRecorded` (`core_patch`) so that its replays do too.
 *
 * @example
 * if (patched('use-new-charge')) await chargeV2(id); else await charge(id);
 */
export function patched(patchId: string): boolean {
  return patchInternal(assertInWorkflowContext('patched()'), patchId, false);
}

/**
 * The second step of removing a patch: once no run that took the old path is open, replace
 * `if (patched(id)) new else old` with `deprecatePatch(id); new`. Runs that recorded the patch
 * marker still replay; new runs record a deprecated marker, which a later version may drop.
 */
export function deprecatePatch(patchId: string): void {
  patchInternal(assertInWorkflowContext('deprecatePatch()'), patchId, true);
}
