import { Global, Module } from '@nestjs/common';
import { TokenResolvers } from './token-resolvers.js';

@Global()
@Module({ providers: [TokenResolvers], exports: [TokenResolvers] })
export class AuthCoreModule {}
