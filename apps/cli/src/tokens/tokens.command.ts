import { userInfo } from 'node:os';

import { API_ROLES, AGENT_NAME_PATTERN, isApiRole, TOKEN_NAME_PATTERN, type ApiRole } from '@brier/contracts';
import { ApiTokenRepository, createDataSource, type ApiTokenRecord } from '@brier/database';
import { Command, InvalidArgumentError } from 'commander';

import { CliError, write, type CliIo } from '../cli-io.js';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/brier';

interface CreateOptions {
  role: ApiRole;
  name: string;
  agentName?: string;
}

/**
 * `brier tokens create|list|revoke`: API tokens straight in Postgres (DATABASE_URL), for the first
 * admin token and for anyone with database access; admins can also use /v1/tokens. The token is
 * printed once, on stdout alone (so `$(brier tokens create …)` captures it); only its hash is kept.
 */
export function tokensCommand(io: CliIo, env: NodeJS.ProcessEnv = process.env): Command {
  const tokens = new Command('tokens').description(
    `API tokens (docs/security.md), in the database at $DATABASE_URL (default ${DEFAULT_DATABASE_URL})`,
  );
  tokens
    .command('create')
    .description('create a token and print it (shown this once)')
    .requiredOption('--role <role>', `one of ${API_ROLES.join(', ')}`, role)
    .requiredOption('--name <name>', 'who it speaks for (a person, a service, an agent host)', tokenName)
    .option('--agent-name <name>', 'agent tokens only: the one AGENT_NAME it may register', agentName)
    .action((options: CreateOptions) => withTokens(env, (repo) => create(repo, options, io)));
  tokens
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--all', 'revoked tokens too')
    .action((options: { all?: boolean }) =>
      withTokens(env, async (repo) => printList(await repo.list({ activeOnly: !options.all }), io)),
    );
  tokens
    .command('revoke')
    .description('revoke a token by id (API replicas stop accepting it within seconds)')
    .argument('<id>', 'the token id (from `brier tokens list`)')
    .action((id: string) => withTokens(env, (repo) => revoke(repo, id, io)));
  // Like the top-level commands (program.ts): errors are thrown to runCli, output goes to `io`.
  for (const command of tokens.commands) {
    command
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  }
  return tokens;
}

function role(value: string): ApiRole {
  if (!isApiRole(value)) throw new InvalidArgumentError(`expected one of ${API_ROLES.join(', ')}`);
  return value;
}

function tokenName(value: string): string {
  if (!TOKEN_NAME_PATTERN.test(value))
    throw new InvalidArgumentError('expected 1-100 letters, digits, ".", "_", "@" or "-"');
  return value;
}

function agentName(value: string): string {
  if (!AGENT_NAME_PATTERN.test(value)) throw new InvalidArgumentError('expected an agent name (AGENT_NAME)');
  return value;
}

async function withTokens(env: NodeJS.ProcessEnv, use: (repo: ApiTokenRepository) => Promise<void>) {
  const url = env['DATABASE_URL'] || DEFAULT_DATABASE_URL;
  const dataSource = createDataSource(url, { applicationName: 'brier-cli' });
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new CliError(`cannot connect to Postgres at $DATABASE_URL: ${(error as Error).message}`, 1);
  }
  try {
    await use(new ApiTokenRepository(dataSource));
  } catch (error) {
    if ((error as { code?: string }).code === '42P01')
      throw new CliError('the database has no api_tokens table: run `npm run db:migrate` first', 1);
    throw error;
  } finally {
    await dataSource.destroy();
  }
}

async function create(repo: ApiTokenRepository, options: CreateOptions, io: CliIo): Promise<void> {
  if (options.agentName !== undefined && options.role !== 'agent')
    throw new CliError('--agent-name is for --role agent only');
  const { token, record } = await repo.create({
    name: options.name,
    role: options.role,
    agentName: options.agentName ?? null,
    createdBy: `cli:${userInfo().username}`,
  });
  await write(io.stdout, `${token}\n`);
  await write(
    io.stderr,
    `brier tokens: created ${record.role} token ${record.id} for "${record.name}". It is shown only now: ` +
      'keep it secret (Authorization: Bearer <token>; the admin panel login at /admin).\n',
  );
}

async function printList(records: ApiTokenRecord[], io: CliIo): Promise<void> {
  const rows = records.map((r) =>
    [
      r.id,
      r.role,
      r.name,
      r.agentName ?? '-',
      r.createdAt.toISOString(),
      r.lastUsedAt?.toISOString() ?? 'never',
      r.revokedAt ? `revoked ${r.revokedAt.toISOString()}` : 'active',
    ].join('\t'),
  );
  await write(io.stdout, ['id\trole\tname\tagent\tcreated\tlast used\tstatus', ...rows].join('\n') + '\n');
}

async function revoke(repo: ApiTokenRepository, id: string, io: CliIo): Promise<void> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
    throw new CliError(`${id}: not a token id (a UUID from \`brier tokens list\`)`);
  const record = await repo.revoke(id);
  if (!record) throw new CliError(`no token has id ${id}`, 1);
  await write(io.stderr, `brier tokens: revoked ${record.role} token ${record.id} ("${record.name}")\n`);
}
