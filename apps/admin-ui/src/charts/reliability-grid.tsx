import { useEffect, useState } from 'preact/hooks';

import { callApi } from '../api/client.js';
import { API_ROUTES } from '../api/routes.js';
import type { ReliabilityGroup } from '../api/types.js';
import { ErrorNote } from '../ui/error-note.js';
import { useAsync } from '../ui/use-async.js';
import { groupTitle, ReliabilityPlot } from './reliability-plot.js';
import { GROUPS_PER_WINDOW, windowStart } from './reliability-window.js';

const GROUP_SIZES = [1, 2, 5, 10, 25, 50, 100];

interface ReliabilityGridProps {
  runId: string;
  selectedStep: number | undefined;
  /** Changes when the run's steps change (throttled by the caller): the grid is read again. */
  version: string;
}

/** Reliability diagrams per group of steps (default 5, the seed's), a window of them at a time. */
export function ReliabilityGrid({ runId, selectedStep, version }: ReliabilityGridProps) {
  const [groupSize, setGroupSize] = useState(5);
  const groups = useAsync(
    (signal) =>
      callApi(API_ROUTES.reliability, { params: { id: runId }, query: { group: groupSize }, signal }),
    [runId, groupSize, version],
  );
  const list = groups.data ?? [];
  const focus = selectedStep === undefined ? list.length - 1 : Math.floor(selectedStep / groupSize);
  const [start, setStart] = useState<number | undefined>(undefined);
  // A newly selected step (or group size) brings its group into view.
  useEffect(() => setStart(undefined), [focus, groupSize]);
  const first = start ?? windowStart(list.length, focus);
  const shown = list.slice(first, first + GROUPS_PER_WINDOW);
  const paged = list.length > GROUPS_PER_WINDOW;

  return (
    <section aria-labelledby="reliability-title">
      <div class="section-head">
        <h2 id="reliability-title">Reliability diagrams</h2>
        <label>
          Steps per diagram{' '}
          <select value={groupSize} onChange={(e) => setGroupSize(Number(e.currentTarget.value))}>
            {GROUP_SIZES.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </label>
        {paged && (
          <span class="pager">
            <button
              type="button"
              disabled={first === 0}
              onClick={() => setStart(Math.max(0, first - GROUPS_PER_WINDOW))}
            >
              ← Earlier
            </button>
            <span>
              groups {first + 1}–{first + shown.length} of {list.length}
            </span>
            <button
              type="button"
              disabled={first + GROUPS_PER_WINDOW >= list.length}
              onClick={() => setStart(Math.min(list.length - GROUPS_PER_WINDOW, first + GROUPS_PER_WINDOW))}
            >
              Later →
            </button>
          </span>
        )}
      </div>
      <p class="muted">
        Bars: observed fraction of YES per P(YES) bin (count above); dots: the bin&apos;s mean forecast;
        dashed: perfect calibration.
      </p>
      <ErrorNote error={groups.error} what="the reliability bins" />
      {groups.loading && list.length === 0 && <p class="muted">Loading…</p>}
      {!groups.loading && list.length === 0 && !groups.error && <p class="muted">No rollouts yet.</p>}
      <div class="reliability-grid" data-testid="reliability-grid">
        {shown.map((group) => (
          <ReliabilityPlot
            key={`${groupSize}-${group.group}`}
            group={group}
            highlighted={group.group === focus}
          />
        ))}
      </div>
      <ReliabilityTable groups={shown} />
    </section>
  );
}

/** The counts per bin of the groups shown, as a table. */
function ReliabilityTable({ groups }: { groups: readonly ReliabilityGroup[] }) {
  const bins = groups[0]?.bins ?? [];
  return (
    <details class="table-alternative">
      <summary>Counts per bin as a table</summary>
      <div class="table-scroll">
        <table class="data" data-testid="reliability-table">
          <thead>
            <tr>
              <th scope="col">steps</th>
              {bins.map((bin) => (
                <th scope="col" key={bin.index}>
                  {bin.lo.toFixed(1)}–{bin.hi.toFixed(1)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {groups.map((group) => (
              <tr key={group.group}>
                <th scope="row">{groupTitle(group)}</th>
                {group.bins.map((bin) => (
                  <td key={bin.index} title={`observed ${bin.observed?.toFixed(3) ?? '–'}`}>
                    {bin.count}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
