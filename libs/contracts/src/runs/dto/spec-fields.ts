import 'reflect-metadata';

import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsString, ValidateNested } from 'class-validator';

import { IsKnownPromptTemplate, IsUsableLengthPenalty } from '../validation/decorators.js';
import { RewardDto } from './reward.dto.js';

/**
 * Fields that the train and eval specs share, each one decorator for the OpenAPI schema and the
 * validation together. The decorators run as if written one above the other in this order (the
 * last first, as TypeScript applies a stack): class-validator reports errors in the order its
 * rules were registered, so the messages stay what they were when each spec spelled them out.
 */
function stacked(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, propertyKey) => {
    for (const decorator of [...decorators].reverse()) decorator(target, propertyKey);
  };
}

/** `reward`: the length-penalty bounds, checked as a whole against the spec's maxTokens. */
export function RewardField(): PropertyDecorator {
  return stacked(
    ApiPropertyOptional({
      type: () => RewardDto,
      description: 'Length-penalty bounds of the reward (seed: 512, 0.2, 0.8).',
    }),
    IsObject(),
    ValidateNested(),
    Type(() => RewardDto),
    IsUsableLengthPenalty(),
  );
}

/** `promptTemplate`: a template in configs/prompts/; `description` says which to pick for the kind. */
export function PromptTemplateField(description: string, defaultTemplate: string): PropertyDecorator {
  return stacked(
    ApiPropertyOptional({ description, default: defaultTemplate }),
    IsString(),
    IsKnownPromptTemplate(),
  );
}
