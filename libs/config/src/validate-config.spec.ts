import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ConfigError } from './config-error.js';
import { CommaList, IsHttpUrl, IsPostgresUrl, IsRedisUrl } from './env-decorators.js';
import { Secret } from './secret.js';
import { loadConfigOrExit, validateConfig } from './validate-config.js';

class SampleConfig {
  @IsInt({ message: 'must be an integer from 0 to 65535' })
  @Min(0, { message: 'must be an integer from 0 to 65535' })
  @Max(65535, { message: 'must be an integer from 0 to 65535' })
  PORT: number = 3000;

  @IsRedisUrl()
  REDIS_URL: string = 'redis://127.0.0.1:6379';

  @IsPostgresUrl()
  DATABASE_URL!: string;

  @IsOptional()
  @IsHttpUrl()
  API_URL?: string;

  @IsIn(['development', 'production', 'test'])
  NODE_ENV: string = 'development';

  @CommaList()
  @Matches(/^[a-z0-9-]+$/, { each: true, message: 'each label must match [a-z0-9-]+' })
  LABELS: string[] = [];

  @IsOptional()
  @Secret()
  @Matches(/^hf_\w+$/, { message: 'must look like hf_…' })
  HF_TOKEN?: string;
}

const valid = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/brier' };

function problems(env: Record<string, string>): string[] {
  try {
    validateConfig(SampleConfig, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message.split('\n');
  }
  throw new Error('expected a ConfigError');
}

describe('validateConfig', () => {
  it('applies defaults and converts strings by the declared type', () => {
    const config = validateConfig(SampleConfig, { ...valid, PORT: '8080', LABELS: 'a100,spot' });
    expect(config).toBeInstanceOf(SampleConfig);
    expect(config.PORT).toBe(8080);
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.NODE_ENV).toBe('development');
    expect(config.LABELS).toEqual(['a100', 'spot']);
    expect(config.API_URL).toBeUndefined();
  });

  it('ignores unrelated variables and treats an empty string as unset', () => {
    const config = validateConfig(SampleConfig, {
      ...valid,
      PATH: '/bin',
      HOME: '/root',
      PORT: '',
      LABELS: '',
    });
    expect(config.PORT).toBe(3000);
    expect(config.LABELS).toEqual([]);
    expect(Object.keys(config)).not.toContain('PATH');
  });

  it('reports one line per bad variable, naming it, what is wrong and what it got', () => {
    const lines = problems({ ...valid, REDIS_URL: 'foo', PORT: 'abc', NODE_ENV: 'prod' });
    expect(lines).toHaveLength(3);
    expect(lines).toContain('REDIS_URL: must be a redis:// URL (got "foo")');
    expect(lines).toContain('PORT: must be an integer from 0 to 65535 (got "abc")');
    expect(lines.find((l) => l.startsWith('NODE_ENV: '))).toMatch(
      /development, production, test.*\(got "prod"\)$/,
    );
  });

  it('merges the failed constraints of one variable into its one line, without repeats', () => {
    expect(problems({ ...valid, PORT: '70000.5' })).toEqual([
      'PORT: must be an integer from 0 to 65535 (got "70000.5")',
    ]);
    expect(problems({ ...valid, HF_TOKEN: 'x', LABELS: 'A,b c' })).toEqual([
      'LABELS: each label must match [a-z0-9-]+ (got "A,b c")',
      'HF_TOKEN: must look like hf_… (got <redacted>)',
    ]);
  });

  it('says when a required variable is not set', () => {
    expect(problems({})).toEqual(['DATABASE_URL: must be a postgres:// URL (not set)']);
  });

  it('rejects a URL of the wrong scheme and one without a host', () => {
    expect(problems({ ...valid, REDIS_URL: 'http://127.0.0.1:6379' })).toEqual([
      'REDIS_URL: must be a redis:// URL (got "http://127.0.0.1:6379")',
    ]);
    expect(problems({ DATABASE_URL: 'postgres://' })).toEqual([
      'DATABASE_URL: must be a postgres:// URL (got "postgres://")',
    ]);
  });

  it('checks every item of a comma list, so a space in one is caught', () => {
    expect(problems({ ...valid, LABELS: 'a100, spot' })).toEqual([
      'LABELS: each label must match [a-z0-9-]+ (got "a100, spot")',
    ]);
  });

  it('never shows a secret value, nor a password inside a URL', () => {
    const message = problems({
      ...valid,
      HF_TOKEN: 'super-secret-token',
      REDIS_URL: 'http://user:hunter2@example.com',
    }).join('\n');
    expect(message).toContain('HF_TOKEN: must look like hf_… (got <redacted>)');
    expect(message).not.toContain('super-secret-token');
    expect(message).not.toContain('hunter2');
    expect(message).toContain('"http://user:***@example.com/"');
  });

  it('redacts variables listed as secret by the caller', () => {
    try {
      validateConfig(SampleConfig, { DATABASE_URL: 'not-a-url-but-a-secret' }, { secrets: ['DATABASE_URL'] });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe('DATABASE_URL: must be a postgres:// URL (got <redacted>)');
    }
  });

  it('truncates very long values', () => {
    const [line] = problems({ ...valid, REDIS_URL: 'x'.repeat(1000) });
    expect(line!.length).toBeLessThan(200);
  });
});

describe('loadConfigOrExit', () => {
  afterEach(() => vi.restoreAllMocks());

  it('returns the config when it is valid', () => {
    expect(loadConfigOrExit(SampleConfig, valid).DATABASE_URL).toBe(valid.DATABASE_URL);
  });

  it('prints "Invalid configuration:" and one line per problem to stderr, then exits 1', () => {
    let written = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    });
    const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${String(code)}`);
    });

    expect(() => loadConfigOrExit(SampleConfig, { REDIS_URL: 'foo', HF_TOKEN: 'leak' })).toThrow('exit 1');
    expect(exit).toHaveBeenCalledWith(1);
    expect(written.split('\n')).toEqual([
      'Invalid configuration:',
      'REDIS_URL: must be a redis:// URL (got "foo")',
      'DATABASE_URL: must be a postgres:// URL (not set)',
      'HF_TOKEN: must look like hf_… (got <redacted>)',
      '',
    ]);
  });
});
