import { ApiTokenRepository, createDataSource } from '@brier/database';

/** A new API token in the database at `databaseUrl` (as `brier tokens create` makes one); the secret. */
export async function mintToken(databaseUrl, { name, role, agentName = null }) {
  const dataSource = createDataSource(databaseUrl);
  await dataSource.initialize();
  try {
    const { token } = await new ApiTokenRepository(dataSource).create({
      name,
      role,
      agentName,
      createdBy: 'load-test',
    });
    return token;
  } finally {
    await dataSource.destroy();
  }
}
