import * as Plot from '@observablehq/plot';
import { useMemo } from 'preact/hooks';

import type { ReliabilityBin, ReliabilityGroup } from '../api/types.js';
import { SERIES_COLORS } from './palette.js';
import { PlotFigure } from './plot-figure.js';

const f3 = (value: number | null): string => (value === null ? '–' : value.toFixed(3));

function binTitle(bin: ReliabilityBin): string {
  return (
    `P(YES) ${bin.lo.toFixed(1)}–${bin.hi.toFixed(1)}\n` +
    `count ${bin.count}\nmean P(YES) ${f3(bin.mean_p)}\nobserved YES ${f3(bin.observed)}`
  );
}

/** `Steps 10–14` (or `Step 7` for a group of one). */
export function groupTitle(group: ReliabilityGroup): string {
  return group.first_step === group.last_step
    ? `Step ${group.first_step}`
    : `Steps ${group.first_step}–${group.last_step}`;
}

function describe(group: ReliabilityGroup): string {
  const bins = group.bins
    .filter((b) => b.count > 0)
    .map((b) => `${b.lo.toFixed(1)}–${b.hi.toFixed(1)}: ${b.count} rollouts, observed ${f3(b.observed)}`);
  return `${groupTitle(group)}, ${group.n} rollouts. ${bins.join('; ')}.`;
}

/**
 * One reliability diagram: per P(YES) bin the observed fraction of YES labels as a bar over the
 * bin, the bin's mean forecast as a dot, its count above, and the diagonal of perfect calibration.
 */
export function ReliabilityPlot({ group, highlighted }: { group: ReliabilityGroup; highlighted: boolean }) {
  const options = useMemo((): Plot.PlotOptions => {
    const bins = group.bins.filter((b) => b.count > 0);
    return {
      height: 220,
      marginLeft: 36,
      marginRight: 8,
      marginTop: 14,
      ariaLabel: `Reliability diagram, ${groupTitle(group)}`,
      ariaDescription: describe(group),
      x: { domain: [0, 1], label: 'P(YES)', ticks: 5 },
      y: { domain: [0, 1.12], label: 'observed YES', ticks: 5, grid: true },
      marks: [
        Plot.rectY(bins, {
          x1: 'lo',
          x2: 'hi',
          y: 'observed',
          fill: SERIES_COLORS[0],
          fillOpacity: 0.75,
          inset: 1,
        }),
        Plot.line(
          [
            [0, 0],
            [1, 1],
          ],
          { stroke: '#666', strokeDasharray: '4,3' },
        ),
        Plot.dot(bins, { x: 'mean_p', y: 'observed', r: 2, fill: '#222' }),
        Plot.text(bins, {
          x: 'center',
          y: 'observed',
          text: (b: ReliabilityBin) => String(b.count),
          dy: -7,
          fontSize: 9,
        }),
        Plot.tip(bins, Plot.pointerX({ x: 'center', y: 'observed', title: binTitle })),
      ],
    };
  }, [group]);
  return (
    <figure
      class={highlighted ? 'reliability selected' : 'reliability'}
      data-testid="reliability-group"
      data-first-step={group.first_step}
    >
      <figcaption>
        {groupTitle(group)} <span class="muted">(n={group.n})</span>
      </figcaption>
      <PlotFigure options={options} />
    </figure>
  );
}
