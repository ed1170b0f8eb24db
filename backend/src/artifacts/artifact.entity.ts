import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ArtifactFormat } from '../manifest/format-detect.js';

export type ArtifactType = 'model' | 'dataset' | 'experiment';
export const ARTIFACT_TYPES: readonly ArtifactType[] = ['model', 'dataset', 'experiment'];

/** `pending_upload → uploaded | upload_failed`; any state → `pending_deletion` → gone. */
export type ArtifactStatus = 'pending_upload' | 'uploaded' | 'upload_failed' | 'pending_deletion';
export const ARTIFACT_STATUSES: readonly ArtifactStatus[] = [
  'pending_upload',
  'uploaded',
  'upload_failed',
  'pending_deletion',
];

@Entity('artifacts')
export class Artifact {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'organization_id' }) organizationId: string;
  @Column('uuid', { name: 'orbit_id' }) orbitId: string;
  @Column('uuid', { name: 'collection_id' }) collectionId: string;
  @Column('uuid', { name: 'storage_backend_id' }) storageBackendId: string;
  @Column() name: string;
  @Column() description: string;
  @Column('varchar') type: ArtifactType;
  @Column('varchar') format: ArtifactFormat;
  @Column({ name: 'file_name' }) fileName: string;
  @Column({ name: 'content_type' }) contentType: string;
  @Column('bigint') size: number;
  @Column('char', { length: 64 }) sha256: string;
  @Column({ name: 'storage_key' }) storageKey: string;
  @Column('varchar', { name: 'upload_id', nullable: true }) uploadId: string | null;
  @Column('bigint', { name: 'upload_part_size', nullable: true }) uploadPartSize: number | null;
  @Column('varchar') status: ArtifactStatus;
  @Column('varchar', { name: 'status_reason', nullable: true }) statusReason: string | null;
  @Column('jsonb') manifest: object;
  @Column('jsonb') metrics: Record<string, number>;
  @Column('text', { array: true }) tags: string[];
  @Column('uuid', { name: 'created_by', nullable: true }) createdBy: string | null;
  @Column('timestamptz', { name: 'uploaded_at', nullable: true }) uploadedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
