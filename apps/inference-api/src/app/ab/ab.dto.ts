import { ApiProperty } from '@nestjs/swagger';

export class LabelKeyDto {
  @ApiProperty({ example: 'r-1' })
  request_id!: string;

  @ApiProperty({ example: 0 })
  row!: number;
}

export class FeedbackResponse {
  @ApiProperty({ example: 2 })
  received!: number;

  @ApiProperty({ example: 1, description: 'Labels joined to a logged prediction.' })
  joined!: number;

  @ApiProperty({
    type: [LabelKeyDto],
    description: 'No such prediction in the log (yet); kept, and joined when it arrives.',
  })
  unknown!: LabelKeyDto[];

  @ApiProperty({
    type: [LabelKeyDto],
    description: 'The prediction is older than FEEDBACK_WINDOW_SECONDS; not recorded.',
  })
  expired!: LabelKeyDto[];
}

/** Swagger's view of the report; the full shape is `AbReportJson` in ab-report.ts. */
export class AbReportResponse {
  @ApiProperty({ example: 'churn_model' })
  model!: string;

  @ApiProperty({
    example: {
      challenger_share: 0.1,
      shadow: false,
      salt: 'exp-2026-11',
      champion_version: '3',
      challenger_version: '4',
      problems: [],
    },
  })
  traffic!: Record<string, unknown>;

  @ApiProperty({
    example: {
      checked: true,
      alpha: 0.001,
      expected_challenger_share: 0.1,
      users: { champion: 903, challenger: 97 },
      statistic: 0.1,
      p_value: 0.75,
      mismatch: false,
    },
  })
  sample_ratio_mismatch!: Record<string, unknown>;

  @ApiProperty({
    description: 'Per variant and version: count, labelled, accuracy, precision, recall, f1, confusion, shadow.',
    type: 'array',
    items: { type: 'object' },
  })
  variants!: Record<string, unknown>[];

  @ApiProperty({
    description:
      'Champion and challenger summed over their versions, and challenger − champion per metric with its interval.',
  })
  comparison!: Record<string, unknown>;

  @ApiProperty({
    example: {
      count: 1000,
      agreement_rate: 0.97,
      mean_difference: 0.01,
      mean_abs_difference: 0.03,
      max_abs_difference: 0.2,
    },
  })
  shadow!: Record<string, unknown>;

  @ApiProperty({
    enum: [
      'no_experiment',
      'sample_ratio_mismatch',
      'insufficient_labels',
      'challenger_better',
      'champion_better',
      'mixed',
      'no_significant_difference',
    ],
  })
  verdict!: string;

  @ApiProperty({ example: 'every 95 % interval of challenger − champion includes 0' })
  verdict_reason!: string;

  @ApiProperty({
    nullable: true,
    description:
      "With `score_bins`: each arm's probabilities in equal-width bins over [0, 1] and its positive count; else null.",
    example: {
      bins: 4,
      champion: { count: 10, positives: 3, counts: [4, 3, 2, 1] },
      challenger: { count: 2, positives: 1, counts: [1, 0, 0, 1] },
    },
  })
  score_distributions!: Record<string, unknown> | null;
}
