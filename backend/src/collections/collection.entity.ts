import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

export type CollectionType = 'model' | 'dataset' | 'experiment' | 'mixed';
export const COLLECTION_TYPES: readonly CollectionType[] = [
  'model',
  'dataset',
  'experiment',
  'mixed',
];

@Entity('collections')
export class Collection {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'organization_id' }) organizationId: string;
  @Column('uuid', { name: 'orbit_id' }) orbitId: string;
  @Column() name: string;
  @Column() description: string;
  @Column('varchar') type: CollectionType;
  @Column('text', { array: true }) tags: string[];
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
