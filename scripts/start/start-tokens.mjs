// `npm start`'s API tokens (docs/security.md), straight in Postgres through libs/database (built
// by then): on an empty token table, the first admin token, printed once; on every start, a fresh
// agent token for the local agent (the previous one revoked), handed to it in its environment
// only, never written to disk.

const START_AGENT_TOKEN_NAME = 'npm-start-agent';

/**
 * Returns `{ adminToken, agentToken }`: adminToken only when this start created it (a fresh
 * installation), else null.
 */
export async function ensureStartTokens(databaseUrl, { say }) {
  const { ApiTokenRepository, createDataSource } = await import('@brier/database');
  const dataSource = createDataSource(databaseUrl, { applicationName: 'brier-start' });
  await dataSource.initialize();
  try {
    const tokens = new ApiTokenRepository(dataSource);
    let adminToken = null;
    if ((await tokens.countActive('admin')) === 0) {
      const created = await tokens.create({ name: 'admin', role: 'admin', createdBy: 'npm start' });
      adminToken = created.token;
      say('access: no admin token yet, so one was created. It is shown only this once: keep it secret.');
      say(`access:   ${adminToken}`);
      say('access: log in to the admin panel with it, or send it as Authorization: Bearer <token>;');
      say('access: more tokens: `brier tokens create --role researcher --name <who>` (docs/security.md)');
    }
    for (const record of await tokens.list({ activeOnly: true })) {
      const ours = record.name === START_AGENT_TOKEN_NAME && record.createdBy === 'npm start';
      if (ours) await tokens.revoke(record.id);
    }
    const agent = await tokens.create({
      name: START_AGENT_TOKEN_NAME,
      role: 'agent',
      createdBy: 'npm start',
    });
    return { adminToken, agentToken: agent.token };
  } finally {
    await dataSource.destroy();
  }
}
