import { reliabilityBins, type ScoredRollout } from '@brier/calibration';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { StepRow } from './step-rows.js';

const METRICS = [
  ['reward', 'Mean reward (trainer)'],
  ['brier', 'Mean Brier score'],
  ['ece', 'ECE (10 bins, P(YES))'],
  ['accuracy', 'Accuracy (p > 0.5 → YES)'],
] as const;

/** The seed's brier_over_time figure: reward, Brier, ECE and accuracy over training steps. */
export function metricsOverStepsSpec(rows: readonly StepRow[]): TopLevelSpec {
  const values = rows.flatMap((row) =>
    METRICS.flatMap(([key, title]) =>
      row[key] === null ? [] : [{ step: row.step, metric: title, value: row[key] }],
    ),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Calibration over training',
    data: { values },
    facet: { field: 'metric', type: 'nominal', title: null, sort: METRICS.map(([, t]) => t) },
    columns: 2,
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 320,
      height: 200,
      mark: { type: 'line', point: { size: 20 }, color: '#2563eb' },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'Training step' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        tooltip: [{ field: 'step' }, { field: 'value', format: '.4f' }],
      },
    },
  };
}

/** Pool steps into groups of `groupSize` (the seed's 5) and bin each group's predictions. */
export function reliabilityGroups(steps: Map<number, ScoredRollout[]>, groupSize: number) {
  const ordered = [...steps.keys()].sort((a, b) => a - b);
  const groups: { label: string; first: number; rows: ScoredRollout[] }[] = [];
  for (const step of ordered) {
    const first = Math.floor(step / groupSize) * groupSize;
    let group = groups.at(-1);
    if (group?.first !== first) {
      group = { label: '', first, rows: [] };
      groups.push(group);
    }
    group.label = `Steps ${first}–${step}`;
    group.rows.push(...steps.get(step)!);
  }
  return groups.map((g) => ({ label: g.label, n: g.rows.length, bins: reliabilityBins(g.rows) }));
}

/** The seed's calibration_curves figure: observed YES frequency per P(YES) bin, with counts and the diagonal. */
export function reliabilitySpec(groups: ReturnType<typeof reliabilityGroups>): TopLevelSpec {
  const values = groups.flatMap((g) =>
    g.bins.map((b) => ({
      group: `${g.label} (n=${g.n})`,
      bin: b.index,
      center: b.center,
      observed: b.observed,
      count: b.count,
    })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Reliability diagrams — individual rollouts',
    data: { values },
    facet: { field: 'group', type: 'nominal', title: null, sort: values.map((v) => v.group) },
    columns: 4,
    spec: {
      width: 200,
      height: 200,
      encoding: {
        x: { field: 'center', type: 'quantitative', title: 'Predicted P(YES)', scale: { domain: [0, 1] } },
        y: {
          field: 'observed',
          type: 'quantitative',
          title: 'Observed fraction YES',
          scale: { domain: [0, 1.15] },
        },
      },
      layer: [
        {
          transform: [{ filter: 'datum.bin === 0' }],
          mark: { type: 'rule', strokeDash: [4, 4], color: '#666' },
          encoding: { x: { datum: 0 }, y: { datum: 0 }, x2: { datum: 1 }, y2: { datum: 1 } },
        },
        {
          transform: [{ filter: 'datum.count > 0' }],
          mark: { type: 'bar', width: 16, color: '#2563eb', opacity: 0.75 },
        },
        {
          transform: [{ filter: 'datum.count > 0' }],
          mark: { type: 'text', dy: -6, fontSize: 8, color: '#555' },
          encoding: { text: { field: 'count', type: 'quantitative' } },
        },
      ],
    },
  };
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Write the seed's two figures as SVG into `dir`; returns the paths written. */
export async function writePlots(
  dir: string,
  rows: readonly StepRow[],
  steps: Map<number, ScoredRollout[]>,
  groupSize: number,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const overSteps = join(dir, 'metrics_over_steps.svg');
  const curves = join(dir, 'calibration_curves.svg');
  await writeFile(overSteps, await renderSvg(metricsOverStepsSpec(rows)));
  await writeFile(curves, await renderSvg(reliabilitySpec(reliabilityGroups(steps, groupSize))));
  return [overSteps, curves];
}
