import { type Database, GenericStore, TableStorage } from '@app/persistence';
import { imagesInfo } from '../resources/resource-infos';
import { ImageStrategy } from './image.strategy';
import type { Image } from './image.types';

export function imageTable(): TableStorage<Image> {
  return new TableStorage<Image>('images', false);
}

/** The Image resource: cluster-scoped, named by digest, found through the primary-key index. */
export function createImageStore(db: Database) {
  const table = imageTable();
  return { store: new GenericStore<Image>(imagesInfo, db, table, new ImageStrategy()), table };
}
