import { loadConfig } from './load-config';
import { loadImportConfig } from './import-config';

describe('loadImportConfig', () => {
  const app = loadConfig({});

  it('schedules re-imports every 900 s unless IMPORT_SCHEDULED_DISABLED=true', () => {
    expect(loadImportConfig(app, {}).scheduledIntervalSeconds).toBe(900);
    expect(loadImportConfig(app, { IMPORT_SCHEDULED_DISABLED: 'false' }).scheduledIntervalSeconds).toBe(900);
    expect(loadImportConfig(app, { IMPORT_SCHEDULED_DISABLED: '' }).scheduledIntervalSeconds).toBe(900);
    expect(loadImportConfig(app, { IMPORT_SCHEDULED_DISABLED: 'true' }).scheduledIntervalSeconds).toBe(0);
  });

  // A value meant to turn them off ("1", "yes") must not leave them running unnoticed.
  it.each(['1', 'yes', 'TRUE'])('refuses IMPORT_SCHEDULED_DISABLED=%s, naming the variable', (v) => {
    expect(() => loadImportConfig(app, { IMPORT_SCHEDULED_DISABLED: v })).toThrow(
      `invalid configuration: IMPORT_SCHEDULED_DISABLED must be true or false, got "${v}"`,
    );
  });

  it('refuses an unknown IMPORT_DEFAULT_MODE', () => {
    expect(() => loadImportConfig(app, { IMPORT_DEFAULT_MODE: 'x' })).toThrow('IMPORT_DEFAULT_MODE must be Legacy or PreserveOriginal');
  });
});
