import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { OrbitRole } from '../access/permissions.js';

@Entity('orbits')
export class Orbit {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'organization_id' }) organizationId: string;
  @Column('uuid', { name: 'storage_backend_id' }) storageBackendId: string;
  @Column() name: string;
  @Column() description: string;
  @Column('bigint', { name: 'max_artifact_bytes', nullable: true }) maxArtifactBytes: number | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity('orbit_members')
export class OrbitMember {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'organization_id' }) organizationId: string;
  @Column('uuid', { name: 'orbit_id' }) orbitId: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('varchar') role: OrbitRole;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
