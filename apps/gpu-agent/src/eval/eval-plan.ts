import type { EvalSpecDto } from '@brier/contracts';

import { evalDatasetPath, loadEvalQuestions, type EvalQuestion } from './eval-questions.js';
import { loadPromptTemplate } from './prompt-template-file.js';

/** What an evaluation will ask, known before anything starts (the shipper needs the step's size). */
export interface EvalPlan {
  questions: EvalQuestion[];
  datasetPath: string;
  promptTemplate: string;
  /** questions × samplesPerQuestion: the size of the one step an evaluation is, if every question is answered. */
  rollouts: number;
}

/** Read the spec's prompt template and dataset (default: the host's copy of its split) into a plan. */
export async function planEvaluation(
  spec: Pick<EvalSpecDto, 'dataset' | 'promptTemplate' | 'samplesPerQuestion'>,
  datasetPath: string = evalDatasetPath(spec.dataset),
): Promise<EvalPlan> {
  const template = await loadPromptTemplate(spec.promptTemplate);
  const questions = await loadEvalQuestions(spec.dataset, template, datasetPath);
  return {
    questions,
    datasetPath,
    promptTemplate: template.name,
    rollouts: questions.length * spec.samplesPerQuestion,
  };
}
