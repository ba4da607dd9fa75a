import { InitialSchema1732500000000 } from './1732500000000-InitialSchema';
import { TagChanges1732500000100 } from './1732500000100-TagChanges';
import { ChangeLogInsertTime1732500000150 } from './1732500000150-ChangeLogInsertTime';
import { Triggers1732500000200 } from './1732500000200-Triggers';
import { RegistryEventInbox1732600000000 } from './1732600000000-RegistryEventInbox';
import { ImageImportRequests1732700000000 } from './1732700000000-ImageImportRequests';
import { ScheduledImports1732700000100 } from './1732700000100-ScheduledImports';
import { ChangeSnapshotMark1732800000000 } from './1732800000000-ChangeSnapshotMark';
import { Namespaces1733000000000 } from './1733000000000-Namespaces';
import { DeliveryClaims1733100000000 } from './1733100000000-DeliveryClaims';
import { ChangeLogPreviousObject1733100000300 } from './1733100000300-ChangeLogPreviousObject';
import { DeliveryAttemptsCollation1733200000000 } from './1733200000000-DeliveryAttemptsCollation';
import { DeliveryResourceVersions1733300000200 } from './1733300000200-DeliveryResourceVersions';
import { TagChangeRemovals1733400000000 } from './1733400000000-TagChangeRemovals';
import { DeliveryWriteCost1733500000000 } from './1733500000000-DeliveryWriteCost';
import { DeliveryEventBases1733500000100 } from './1733500000100-DeliveryEventBases';
import { QuotaAndLimits1733600000000 } from './1733600000000-QuotaAndLimits';
import { DeliveryGarbageCollection1733700000000 } from './1733700000000-DeliveryGarbageCollection';
import { DeliveryOrphans1733800000000 } from './1733800000000-DeliveryOrphans';
import { CurrentResourceVersion1733900000000 } from './1733900000000-CurrentResourceVersion';
import { ChangeLogObjectIndex1734000000000 } from './1734000000000-ChangeLogObjectIndex';
import { Secrets1734100000000 } from './1734100000000-Secrets';
import { OpenEvaluations1734200000000 } from './1734200000000-OpenEvaluations';
import { TagChangeTombstones1734300000000 } from './1734300000000-TagChangeTombstones';
import { TagChangeExpiry1734400000000 } from './1734400000000-TagChangeExpiry';
import { OwnerReferenceIndexes1734500000000 } from './1734500000000-OwnerReferenceIndexes';

/**
 * Every migration, in order. The schema changes only through these.
 * Several people add migrations at once: add your import and array entry; never rewrite the list.
 */
export const migrations = [
  InitialSchema1732500000000,
  TagChanges1732500000100,
  ChangeLogInsertTime1732500000150,
  Triggers1732500000200,
  RegistryEventInbox1732600000000,
  ImageImportRequests1732700000000,
  ScheduledImports1732700000100,
  ChangeSnapshotMark1732800000000,
  Namespaces1733000000000,
  DeliveryClaims1733100000000,
  ChangeLogPreviousObject1733100000300,
  DeliveryAttemptsCollation1733200000000,
  DeliveryResourceVersions1733300000200,
  TagChangeRemovals1733400000000,
  DeliveryWriteCost1733500000000,
  DeliveryEventBases1733500000100,
  QuotaAndLimits1733600000000,
  DeliveryGarbageCollection1733700000000,
  DeliveryOrphans1733800000000,
  CurrentResourceVersion1733900000000,
  ChangeLogObjectIndex1734000000000,
  Secrets1734100000000,
  OpenEvaluations1734200000000,
  TagChangeTombstones1734300000000,
  TagChangeExpiry1734400000000,
  OwnerReferenceIndexes1734500000000,
];
