import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** A secret value for deployments (env vars); `value_encrypted` is AES-256-GCM and never selected by default. */
@Entity('orbit_secrets')
export class OrbitSecret {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'organization_id' }) organizationId: string;
  @Column('uuid', { name: 'orbit_id' }) orbitId: string;
  @Column() name: string;
  @Column() description: string;
  @Column('text', { name: 'value_encrypted', select: false }) valueEncrypted: string;
  @Column('text', { array: true }) tags: string[];
  @Column('uuid', { name: 'created_by', nullable: true }) createdBy: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
