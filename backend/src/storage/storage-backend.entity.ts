import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

export type StorageKind = 'local' | 's3' | 'azure';

/** Where an orbit's bytes live. `config` holds non-secret settings; credentials are sealed with AES-256-GCM. */
@Entity('storage_backends')
export class StorageBackend {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'organization_id' }) organizationId: string;
  @Column() name: string;
  @Column('varchar') kind: StorageKind;
  @Column('jsonb') config: Record<string, unknown>;
  @Column('text', { name: 'credentials_encrypted', nullable: true, select: false })
  credentialsEncrypted: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
