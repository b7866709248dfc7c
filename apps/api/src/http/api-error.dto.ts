import { ApiProperty } from '@nestjs/swagger';

export class FieldMessageDto {
  @ApiProperty({
    example: 'spec.batchSize',
    description: "Dotted path of the field ('' for the whole body).",
  })
  path!: string;

  @ApiProperty({ example: 'batchSize (1020) must be divisible by rolloutsPerExample (8)' })
  message!: string;
}

/** The error body of every answer ≥ 400, for the OpenAPI document (see api-error.ts). */
export class ApiErrorDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiProperty({
    description: 'A sentence, or for a 400 of a bad request every problem as {path, message}.',
    oneOf: [{ type: 'string' }, { type: 'array', items: { $ref: '#/components/schemas/FieldMessageDto' } }],
  })
  message!: string | FieldMessageDto[];
}
