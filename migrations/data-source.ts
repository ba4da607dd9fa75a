import { createDataSource } from '@app/persistence';
import { loadConfig } from '@app/config';

/** CLI-only DataSource (typeorm migration:* commands). synchronize is never used. */
export default createDataSource(loadConfig().databaseUrl, 2);
