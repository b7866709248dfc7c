/** Line colours (Tableau 10: distinguishable, and legible for the common colour-vision deficiencies). */
export const SERIES_COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
] as const;

/** Where a reward dip is shaded, on every chart. */
export const DIP_FILL = '#e15759';
/** The selected step's rule. */
export const SELECTED_STROKE = '#333';
