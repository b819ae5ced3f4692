import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';

export class GateResultView {
  @ApiProperty({ enum: ['gate_passed', 'has_metrics', 'f1_drop', 'signature'] }) gate!: string;
  @ApiProperty() passed!: boolean;
  @ApiProperty({ example: "F1 0.6012 vs v1's 0.6000, drop -0.0012, allowed 0.01" }) detail!: string;
}

export class AuditRecordView {
  @ApiProperty({ description: 'MLflow run id of the record.' }) id!: string;
  @ApiProperty({ example: 'churn_model' }) model!: string;
  @ApiProperty({ example: 'production' }) alias!: string;
  @ApiProperty({
    enum: ['promote', 'rollback', 'set', 'delete', 'external', 'rollout', 'traffic', 'delete_version', 'webhook'],
  })
  action!: string;
  @ApiProperty({ nullable: true, type: String, example: '1' }) from_version!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '2' }) to_version!: string | null;
  @ApiProperty({ example: 'alice' }) actor!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty() forced!: boolean;
  @ApiProperty({ nullable: true, type: [GateResultView] }) gates!: GateResultView[] | null;
  @ApiProperty({ enum: ['pending', 'committed', 'superseded', 'failed', 'refused', 'abandoned'] }) outcome!: string;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ nullable: true, type: String }) observed_version!: string | null;
  @ApiProperty({ type: [String], example: ['1'], description: 'Earlier holders after this move, most recent last.' })
  rollback_stack!: string[];
  @ApiProperty({ example: '2026-01-15T10:15:30.000Z' }) recorded_at!: string;
  @ApiProperty({ nullable: true, type: String }) settled_at!: string | null;
  @ApiProperty({
    nullable: true,
    type: Object,
    description:
      'For `rollout` records (alias `traffic.rollout`): rollout id, step, event, share, figures and verdicts.',
  })
  rollout!: Record<string, unknown> | null;
  @ApiProperty({
    nullable: true,
    type: Object,
    description:
      'For other control records (aliases `traffic.settings`, `registry.versions`, `registry.webhooks`): what changed, e.g. the traffic settings before and after and the challenger-share cap.',
  })
  details!: Record<string, unknown> | null;
}

/** The audit record a control action (traffic, version deletion, webhook change) answers with. */
export class ControlAuditView {
  @ApiProperty({
    nullable: true,
    type: String,
    description: "The action's audit record (see GET /models/{name}/history); null when MLflow failed to keep it.",
  })
  audit_record_id!: string | null;
  @ApiPropertyOptional({ description: 'Why the action, which took effect, has no audit record.' })
  audit_error?: string;
}

export class PushResultView {
  @ApiProperty({ example: 'http://10.0.0.7:8000' }) target!: string;
  @ApiProperty() ok!: boolean;
  @ApiProperty({ nullable: true, type: Number, example: 200 }) status!: number | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty() duration_ms!: number;
}

export class MoveResponse {
  @ApiProperty() model!: string;
  @ApiProperty() alias!: string;
  @ApiProperty({ enum: ['promote', 'rollback', 'set', 'delete'] }) action!: string;
  @ApiProperty({ nullable: true, type: String }) from_version!: string | null;
  @ApiProperty({ nullable: true, type: String }) to_version!: string | null;
  @ApiProperty() forced!: boolean;
  @ApiProperty({ nullable: true, type: [GateResultView] }) gates!: GateResultView[] | null;
  @ApiProperty({ type: AuditRecordView }) record!: AuditRecordView;
  @ApiProperty({
    nullable: true,
    type: AuditRecordView,
    description: 'Written first when the alias had been moved outside registry-admin.',
  })
  external_record!: AuditRecordView | null;
  @ApiProperty({
    enum: ['settled', 'pending'],
    description:
      "`pending`: the alias moved, but MLflow failed before the record was settled; registry-admin retries the write and the record's outcome follows.",
  })
  audit!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Why the record is still pending; null when settled.' })
  audit_error!: string | null;
  @ApiProperty({ type: [PushResultView] }) pushes!: PushResultView[];
}

export class HistoryResponse {
  @ApiProperty({ type: [AuditRecordView] }) records!: AuditRecordView[];
  @ApiProperty({ nullable: true, type: String }) next_page_token!: string | null;
}

export class VersionViewDto {
  @ApiProperty({ example: '2' }) version!: string;
  @ApiProperty({ example: 'READY' }) status!: string;
  @ApiProperty({ nullable: true, type: String }) created_at!: string | null;
  @ApiProperty({ example: 'mlflow-artifacts:/1/abc/artifacts/model' }) source!: string;
  @ApiProperty({ nullable: true, type: String }) run_id!: string | null;
  @ApiProperty({ type: [String], example: ['production'] }) aliases!: string[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { f1: '0.61', gate_passed: 'true' },
  })
  tags!: Record<string, string>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { f1: 0.61, roc_auc: 0.84 } })
  metrics!: Record<string, number>;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
}

export class ModelSummaryDto {
  @ApiProperty({ example: 'churn_model' }) name!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { production: '2' } })
  aliases!: Record<string, string>;
  @ApiProperty({ nullable: true, type: String }) latest_version!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) tags!: Record<string, string>;
}

export class AliasView {
  @ApiProperty() name!: string;
  @ApiProperty() alias!: string;
  @ApiProperty({ type: VersionViewDto }) version!: VersionViewDto;
}

export class TrafficView {
  @ApiProperty({ example: 0.1 }) challenger_share!: number;
  @ApiProperty({ example: false }) shadow!: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'null: the user split is salted with the model name.' })
  salt!: string | null;
  @ApiProperty({
    type: [String],
    description:
      'Traffic tags the inference-api replicas cannot read (written by hand in MLflow, say), each with why; they read as absent, as the replicas read them.',
  })
  problems!: string[];
}

export class TrafficChangeView extends IntersectionType(TrafficView, ControlAuditView) {
  @ApiProperty({
    type: [PushResultView],
    description: 'The reload push to each inference-api replica (empty when INFERENCE_URLS is unset).',
  })
  pushes!: PushResultView[];
}

export class DeletedVersionView extends ControlAuditView {
  @ApiProperty() name!: string;
  @ApiProperty() version!: string;
  @ApiProperty() deleted!: boolean;
}
