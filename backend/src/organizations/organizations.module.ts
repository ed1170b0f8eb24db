import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrbitsModule } from '../orbits/orbits.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { Organization, OrganizationInvite, OrganizationMember } from './organization.entity.js';
import { MyInvitationsController, OrganizationsController } from './organizations.controller.js';
import { OrganizationsService } from './organizations.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Organization, OrganizationMember, OrganizationInvite]),
    StorageModule,
    OrbitsModule,
  ],
  controllers: [OrganizationsController, MyInvitationsController],
  providers: [OrganizationsService],
  exports: [OrganizationsService],
})
export class OrganizationsModule {}
