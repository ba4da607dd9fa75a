import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { FailedLoginThrottle, failedLoginThrottleOf } from './failed-login-throttle';

/**
 * What every place that checks passwords shares: the access policy's FailedLoginThrottle (null
 * without a policy), injected into the registry token endpoint; requireApiAuthentication uses the
 * same instance, so failures at either throttle both.
 */
@Module({
  providers: [
    {
      provide: FailedLoginThrottle,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => (c.accessPolicy ? failedLoginThrottleOf(c.accessPolicy) : null),
    },
  ],
  exports: [FailedLoginThrottle],
})
export class AuthenticationModule {}
