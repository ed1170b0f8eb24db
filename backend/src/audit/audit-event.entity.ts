import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('audit_events')
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'organization_id', nullable: true }) organizationId: string | null;
  @Column('uuid', { name: 'orbit_id', nullable: true }) orbitId: string | null;
  @Column({ name: 'actor_type' }) actorType: string;
  @Column('uuid', { name: 'actor_id', nullable: true }) actorId: string | null;
  @Column({ name: 'actor_label' }) actorLabel: string;
  @Column() action: string;
  @Column({ name: 'resource_type' }) resourceType: string;
  @Column('varchar', { name: 'resource_id', nullable: true }) resourceId: string | null;
  @Column('jsonb') details: Record<string, unknown>;
  @Column('varchar', { name: 'request_id', nullable: true }) requestId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
