export { answerText, extractPYes, parseAnswer, type ParsedAnswer } from './answer/answer-parser.js';
export {
  lengthPenalty,
  lengthPenaltyConfigError,
  SEED_LENGTH_PENALTY,
  type LengthPenaltyConfig,
} from './reward/length-penalty.js';
export { labelOf, scoreCompletion, type Label, type Score } from './reward/score.js';
export {
  cutPassage,
  promptTemplateErrors,
  renderPrompt,
  type PromptInput,
  type PromptTemplate,
} from './prompts/prompt-template.js';
export { binEdges, binIndex, type BinEdges } from './metrics/bins.js';
export {
  adaptiveEce,
  maxCalibrationError,
  positiveClassEce,
  SEED_BIN_COUNT,
  topLabelEce,
} from './metrics/calibration-error.js';
export { murphyDecomposition, type BrierDecomposition } from './metrics/brier-decomposition.js';
export { accuracy, brierScore, isCorrect, predictsYes, type Prediction } from './metrics/prediction.js';
export { reliabilityBins, type ReliabilityBin } from './metrics/reliability.js';
export {
  STEP_METRIC_COLUMNS,
  summarizeRollouts,
  type ScoredRollout,
  type StepMetrics,
} from './metrics/step-metrics.js';
export { codePointLength, codePointPrefix, pythonStrip } from './text/python-text.js';
