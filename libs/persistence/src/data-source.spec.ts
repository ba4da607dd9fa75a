import { databaseAddressOf, prepareDatabase } from './data-source';

describe('databaseAddressOf', () => {
  it.each([
    ['postgres://app:s3cret@db.internal:6543/imagestreamd', 'db.internal:6543/imagestreamd'],
    ['postgres://postgres@127.0.0.1/imagestreamd', '127.0.0.1:5432/imagestreamd'],
    ['postgres://postgres@%2Fvar%2Frun%2Fpostgresql/imagestreamd', '/var/run/postgresql:5432/imagestreamd'],
  ])('%s → %s, without credentials', (url, address) => {
    expect(databaseAddressOf(url)).toBe(address);
  });
});

describe('prepareDatabase', () => {
  it('names DATABASE_URL and the address, not the password, when Postgres cannot be reached', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const failure = prepareDatabase('postgres://app:s3cret@127.0.0.1:1/imagestreamd', 1);
    await expect(failure).rejects.toThrow(/^cannot use the database 127\.0\.0\.1:1\/imagestreamd \(DATABASE_URL\): connect ECONNREFUSED/);
    await expect(failure).rejects.not.toThrow(/s3cret/);
  });
});
