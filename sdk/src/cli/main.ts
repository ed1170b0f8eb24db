import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { Command, CommanderError, Option } from 'commander';
import { Apogee } from '../client.js';
import type { Model, ModelSource } from '../resources/models.js';
import type { Track } from '../resources/tracks.js';
import { readEnv } from '../core/env.js';
import { APIConnectionError, APIError, NotFoundError } from '../core/errors.js';
import { apogeeHome } from '../node/home.js';
import type {
  Artifact,
  ArtifactSort,
  Collection,
  CollectionType,
  Metrics,
  Orbit,
  Organization,
} from '../types.js';
import { VERSION } from '../version.js';
import { loadConfig, saveConfig, type CliConfig } from './config.js';
import { formatBytes, table } from './format.js';
import { ProgressView, type OutStream } from './progress-view.js';

/** Where the CLI reads and writes; tests pass their own. */
export interface CliIO {
  stdout: OutStream;
  stderr: OutStream;
  /** Directory of `config.json` and resume records. Default `$APOGEE_HOME` or `~/.apogee`. */
  home: string;
  /** Reads a secret from the terminal (the password at `apogee login`). */
  prompt?: (question: string) => Promise<string>;
}

/** Exit codes: 0 success, 1 an API or transfer error, 2 a usage error. */
export const EXIT = { ok: 0, error: 1, usage: 2 } as const;

class UsageError extends Error {}

interface GlobalOpts {
  json?: boolean;
  baseUrl?: string;
  apiKey?: string;
}

/**
 * Runs the `apogee` CLI with `argv` (without `node` and the script) and answers the exit code.
 * Never calls `process.exit`, so it can run inside tests.
 */
export async function main(argv: string[], partialIO: Partial<CliIO> = {}): Promise<number> {
  const io: CliIO = {
    stdout: partialIO.stdout ?? process.stdout,
    stderr: partialIO.stderr ?? process.stderr,
    home: partialIO.home ?? apogeeHome(),
    prompt: partialIO.prompt ?? promptHidden,
  };
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(io, e, Boolean(program.opts<GlobalOpts>().json));
  }
}

function reportError(io: CliIO, e: unknown, json: boolean): number {
  if (e instanceof UsageError) {
    io.stderr.write(`error: ${e.message}\n`);
    return EXIT.usage;
  }
  if (e instanceof APIError) {
    if (json) {
      io.stderr.write(
        JSON.stringify({
          error: { status: e.status, code: e.code, message: e.rawMessage, requestId: e.requestId },
        }) + '\n',
      );
    } else {
      const req = e.requestId ? `, request ${e.requestId}` : '';
      io.stderr.write(`error: ${e.rawMessage} (${e.status} ${e.code}${req})\n`);
    }
    return EXIT.error;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const hint =
    e instanceof APIConnectionError
      ? ' (is the API running? check --base-url or `apogee login`)'
      : '';
  if (json) io.stderr.write(JSON.stringify({ error: { message: err.message } }) + '\n');
  else io.stderr.write(`error: ${err.message}${hint}\n`);
  return EXIT.error;
}

function buildProgram(io: CliIO): Command {
  const program = new Command('apogee')
    .description('Apogee command line: models and datasets in your own storage')
    .version(VERSION)
    .option('--json', 'print machine-readable JSON')
    .option('--base-url <url>', 'API base URL (env APOGEE_BASE_URL, else the saved config)')
    .option('--api-key <key>', 'API key (env APOGEE_API_KEY, else the saved config)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();

  const ctx = new Context(io, program);

  program
    .command('login')
    .description('save credentials: an API key, or sign in with email and password to create one')
    .option('--email <email>', 'sign in with this email and create an API key for this machine')
    .option('--password <password>', 'password for --email (prompted when omitted)')
    .action(async (o: { email?: string; password?: string }) => {
      const config = await ctx.config();
      const g = ctx.globals();
      const baseURL = g.baseUrl ?? readEnv('APOGEE_BASE_URL') ?? config.baseURL;
      let apiKey = g.apiKey ?? readEnv('APOGEE_API_KEY');
      if (o.email) {
        const password = o.password ?? (await io.prompt!('Password: '));
        const anon = new Apogee({ baseURL, apiKey: null });
        const session = await anon.auth.signin({ email: o.email, password });
        const created = await anon
          .withOptions({ apiKey: session.accessToken })
          .apiKeys.create({ name: `cli@${hostname()}`.slice(0, 100) });
        apiKey = created.key;
      }
      if (!apiKey) throw new UsageError('give --api-key KEY, or --email EMAIL to sign in');
      const client = new Apogee({ baseURL, apiKey });
      const me = await client.users.me();
      const file = await saveConfig(io.home, { ...config, baseURL: client.baseURL, apiKey });
      ctx.print(
        { user: me, baseURL: client.baseURL, configFile: file },
        () => `Logged in as ${me.email} at ${client.baseURL}\n`,
      );
    });

  program
    .command('logout')
    .description('forget the saved API key')
    .action(async () => {
      const { apiKey: _dropped, ...rest } = await ctx.config();
      await saveConfig(io.home, rest);
      ctx.print({ loggedOut: true }, () => 'Logged out\n');
    });

  program
    .command('whoami')
    .description('show the signed-in user')
    .action(async () => {
      const me = await (await ctx.client()).users.me();
      ctx.print(me, () => `${me.email}${me.fullName ? ` (${me.fullName})` : ''}\n`);
    });

  program
    .command('use')
    .description('set the default organization, orbit and collection')
    .option('--org <org>', 'organization id or name')
    .option('--orbit <orbit>', 'orbit id or name')
    .option('--collection <collection>', 'collection id or name')
    .action(async (o: { org?: string; orbit?: string; collection?: string }) => {
      const config = await ctx.config();
      const next: CliConfig = { ...config };
      if (o.org !== undefined) {
        next.org = o.org;
        if (o.org !== config.org) delete next.orbit;
      }
      if (o.orbit !== undefined) next.orbit = o.orbit;
      if (o.collection !== undefined) next.collection = o.collection;
      await saveConfig(io.home, next);
      ctx.print(
        { org: next.org ?? null, orbit: next.orbit ?? null, collection: next.collection ?? null },
        () =>
          `Using org ${next.org ?? '-'}, orbit ${next.orbit ?? '-'}, collection ${next.collection ?? '-'}\n`,
      );
    });

  const orgs = program.command('orgs').description('organizations');
  orgs
    .command('ls')
    .description('list your organizations')
    .action(async () => {
      const items = await (await ctx.client()).organizations.list().toArray();
      ctx.print(items, () =>
        table(
          ['ID', 'NAME', 'ROLE'],
          items.map((o) => [o.id, o.name, o.role ?? '']),
        ),
      );
    });

  const orbits = program.command('orbits').description('orbits (workspaces)');
  orbits
    .command('ls')
    .description('list the orbits of an organization')
    .option('--org <org>', 'organization id or name (default: `apogee use --org`)')
    .action(async (o: { org?: string }) => {
      const client = await ctx.client();
      const org = await ctx.org(client, o.org);
      const items = await client.orbits.list(org.id).toArray();
      ctx.print(items, () =>
        table(
          ['ID', 'NAME', 'DESCRIPTION'],
          items.map((x) => [x.id, x.name, x.description ?? '']),
        ),
      );
    });

  const collections = program.command('collections').description('collections of an orbit');
  collections
    .command('ls')
    .description('list collections')
    .option('--org <org>', 'organization id or name')
    .option('--orbit <orbit>', 'orbit id or name')
    .action(async (o: { org?: string; orbit?: string }) => {
      const client = await ctx.client();
      const { org, orbit } = await ctx.orbit(client, o);
      const items = await client.collections.list(org.id, orbit.id).toArray();
      ctx.print(items, () =>
        table(
          ['ID', 'NAME', 'TYPE', 'TAGS'],
          items.map((c) => [c.id, c.name, c.type, (c.tags ?? []).join(',')]),
        ),
      );
    });
  collections
    .command('create <name>')
    .description('create a collection')
    .addOption(
      new Option('--type <type>', 'what it holds')
        .choices(['model', 'dataset', 'experiment', 'mixed'])
        .default('model'),
    )
    .option('--description <text>', 'description')
    .option('--tag <tag>', 'tag (repeatable)', collect, [] as string[])
    .option('--org <org>', 'organization id or name')
    .option('--orbit <orbit>', 'orbit id or name')
    .action(
      async (
        name: string,
        o: {
          type: CollectionType;
          description?: string;
          tag: string[];
          org?: string;
          orbit?: string;
        },
      ) => {
        const client = await ctx.client();
        const { org, orbit } = await ctx.orbit(client, o);
        const c = await client.collections.create(org.id, orbit.id, {
          name,
          type: o.type,
          description: o.description,
          tags: o.tag.length ? o.tag : undefined,
        });
        ctx.print(c, () => `Created collection ${c.name} (${c.id})\n`);
      },
    );

  const track = program
    .command('track')
    .description('tracks (registered models): versions and aliases');
  track
    .command('ls [track]')
    .description('list the tracks of an orbit, or the versions of one track (id or name)')
    .option('--org <org>', 'organization id or name')
    .option('--orbit <orbit>', 'orbit id or name')
    .action(async (ref: string | undefined, o: { org?: string; orbit?: string }) => {
      const client = await ctx.client();
      const { org, orbit } = await ctx.orbit(client, o);
      if (!ref) {
        const items = await client.tracks.list(org.id, orbit.id).toArray();
        ctx.print(items, () =>
          table(
            ['ID', 'NAME', 'VERSIONS', 'ALIASES'],
            items.map((t) => [
              t.id,
              t.name,
              String(t.versionsCount),
              t.aliases.map((a) => `${a.name}=v${a.version}`).join(','),
            ]),
          ),
        );
        return;
      }
      const t = await resolveTrack(client, org.id, orbit.id, ref);
      const items = await client.tracks.versions(org.id, orbit.id, t.id).toArray();
      ctx.print(items, () =>
        table(
          ['VERSION', 'ARTIFACT', 'NAME', 'SIZE', 'ALIASES', 'ADDED'],
          items.map((v) => [
            String(v.version),
            v.artifactId,
            v.artifact.name,
            formatBytes(v.artifact.size),
            v.aliases.join(','),
            v.createdAt,
          ]),
        ),
      );
    });
  track
    .command('add <track> <artifact>')
    .description(
      'add an uploaded artifact as the next version of a track (the track is created when no track has that name)',
    )
    .option('--note <text>', 'note kept with the version')
    .option('--org <org>', 'organization id or name')
    .option('--orbit <orbit>', 'orbit id or name')
    .action(
      async (ref: string, artifact: string, o: { note?: string; org?: string; orbit?: string }) => {
        const client = await ctx.client();
        const { org, orbit } = await ctx.orbit(client, o);
        const t = await resolveTrack(client, org.id, orbit.id, ref).catch(async (e: unknown) => {
          if (e instanceof NotFoundError && !UUID.test(ref))
            return client.tracks.create(org.id, orbit.id, { name: ref });
          throw e;
        });
        const v = await client.tracks.addVersion(org.id, orbit.id, t.id, {
          artifactId: artifact,
          note: o.note,
        });
        ctx.print(v, () => `Added ${v.artifact.name} as ${t.name} v${v.version}\n`);
      },
    );
  track
    .command('alias <track> <alias> <version>')
    .description(
      'point an alias (production, staging, …) at a version; refused if the alias moved meanwhile or a rule forbids it',
    )
    .option('--reason <text>', 'why, kept in the alias history')
    .option('--org <org>', 'organization id or name')
    .option('--orbit <orbit>', 'orbit id or name')
    .action(
      async (
        ref: string,
        alias: string,
        version: string,
        o: { reason?: string; org?: string; orbit?: string },
      ) => {
        const client = await ctx.client();
        const { org, orbit } = await ctx.orbit(client, o);
        const t = await resolveTrack(client, org.id, orbit.id, ref);
        const held = t.aliases.find((a) => a.name === alias)?.version ?? null;
        const moved = await client.tracks.moveAlias(org.id, orbit.id, t.id, alias, {
          version: toInt(version.replace(/^v/, '')),
          expectedVersion: held,
          reason: o.reason,
        });
        ctx.print(
          moved,
          () => `${t.name}@${alias}: ${held === null ? 'none' : `v${held}`} → v${moved.version}\n`,
        );
      },
    );

  const models = program
    .command('models')
    .description('models of an orbit: load, activate, deactivate, delete');
  models
    .command('ls')
    .description('list the models of an orbit (with --all: loading and failed ones too)')
    .option('--all', 'include models still loading and failed ones')
    .option('--org <org>', 'organization id or name')
    .option('--orbit <orbit>', 'orbit id or name')
    .action(async (o: { all?: boolean; org?: string; orbit?: string }) => {
      const client = await ctx.client();
      const { org, orbit } = await ctx.orbit(client, o);
      const items: Model[] = [];
      for await (const m of client.models.iterate(org.id, orbit.id, { includeLoading: o.all }))
        items.push(m);
      ctx.print(items, () =>
        table(
          ['ID', 'STATUS', 'FORMATS', 'ACTIVE', 'SOURCE', 'MESSAGE'],
          items.map((m) => [
            m.id,
            m.loadingStatus,
            m.formats.join(','),
            m.activationStatus,
            m.source,
            m.loadingFailureReason ?? m.loadingStatusMessage ?? '',
          ]),
        ),
      );
    });
  models
    .command('create <id>')
    .description(
      'load a base model: hugging_face org/repo[/file.gguf], ollama name:tag, artifact <artifact-id>; waits for the load unless --no-wait',
    )
    .requiredOption('--source <source>', 'hugging_face, ollama, object_store or artifact')
    .option(
      '--location <location>',
      'where to load from when it differs from the id (artifact id, s3://…)',
    )
    .option('--revision <rev>', 'Hugging Face revision')
    .option('--token-secret <name>', 'orbit secret holding the Hugging Face token')
    .option('--split-gguf', 'one base model per GGUF file of the repository')
    .option('--on-demand', 'activate on the first gateway request')
    .option('--no-wait', 'return once the load is requested')
    .option('--org <org>', 'organization id or name')
    .option('--orbit <orbit>', 'orbit id or name')
    .action(
      async (
        id: string,
        o: {
          source: ModelSource;
          location?: string;
          revision?: string;
          tokenSecret?: string;
          splitGguf?: boolean;
          onDemand?: boolean;
          wait: boolean;
          org?: string;
          orbit?: string;
        },
      ) => {
        const client = await ctx.client();
        const { org, orbit } = await ctx.orbit(client, o);
        let m = await client.models.create(org.id, orbit.id, {
          id,
          source: o.source,
          location: o.location,
          revision: o.revision,
          tokenSecret: o.tokenSecret,
          splitGguf: o.splitGguf,
          ...(o.onDemand ? { config: { onDemand: true } } : {}),
        });
        if (o.wait && m.loadingStatus !== 'SUCCEEDED') {
          m = await client.models.waitUntilLoaded(org.id, orbit.id, id);
        }
        ctx.print(
          m,
          () =>
            `Model ${m.id}: ${m.loadingStatus}${m.formats.length ? ` (${m.formats.join(', ')})` : ''}\n`,
        );
      },
    );
  for (const [name, verb] of [
    ['activate', 'activated'],
    ['deactivate', 'deactivated'],
  ] as const) {
    models
      .command(`${name} <id>`)
      .description(
        name === 'activate'
          ? 'deploy a loaded model on a satellite that serves its format'
          : 'stop the deployments of a model',
      )
      .option('--org <org>', 'organization id or name')
      .option('--orbit <orbit>', 'orbit id or name')
      .action(async (id: string, o: { org?: string; orbit?: string }) => {
        const client = await ctx.client();
        const { org, orbit } = await ctx.orbit(client, o);
        const m =
          name === 'activate'
            ? await client.models.activate(org.id, orbit.id, id)
            : await client.models.deactivate(org.id, orbit.id, id);
        ctx.print(
          m,
          () =>
            `Model ${m.id} ${verb}${m.deploymentIds.length ? ` (deployments ${m.deploymentIds.join(', ')})` : ''}\n`,
        );
      });
  }
  models
    .command('rm <id>')
    .description('delete a model and the files it stored (refused while it is active)')
    .option('--org <org>', 'organization id or name')
    .option('--orbit <orbit>', 'orbit id or name')
    .action(async (id: string, o: { org?: string; orbit?: string }) => {
      const client = await ctx.client();
      const { org, orbit } = await ctx.orbit(client, o);
      const r = await client.models.delete(org.id, orbit.id, id);
      ctx.print(r, () => `Deleted model ${r.id}\n`);
    });

  program
    .command('push <file>')
    .description('upload a file as a new artifact (resumes an interrupted upload of the same file)')
    .option('--org <org>', 'organization id or name')
    .option('--orbit <orbit>', 'orbit id or name')
    .option(
      '--collection <collection>',
      'collection id or name (default: `apogee use --collection`)',
    )
    .option('--name <name>', 'artifact name (default: the file name)')
    .option('--description <text>', 'description')
    .option('--tag <tag>', 'tag (repeatable)', collect, [] as string[])
    .option(
      '--metric <key=value>',
      'metric, e.g. accuracy=0.93 (repeatable)',
      collect,
      [] as string[],
    )
    .option(
      '--format <format>',
      'onnx, gguf, safetensors, … (default: from the file name, server side)',
    )
    .addOption(
      new Option('--type <type>', 'artifact type').choices(['model', 'dataset', 'experiment']),
    )
    .option('--concurrency <n>', 'parts uploaded in parallel', toInt, 4)
    .action(
      async (
        file: string,
        o: {
          org?: string;
          orbit?: string;
          collection?: string;
          name?: string;
          description?: string;
          tag: string[];
          metric: string[];
          format?: string;
          type?: Artifact['type'];
          concurrency: number;
        },
      ) => {
        const client = await ctx.client();
        const { org, orbit } = await ctx.orbit(client, o);
        const collection = await ctx.collection(client, org.id, orbit.id, o.collection);
        const view = ctx.progressView();
        const controller = new AbortController();
        const onSigint = (): void => controller.abort();
        process.once('SIGINT', onSigint);
        try {
          const a = await client.artifacts.upload(org.id, orbit.id, collection.id, file, {
            name: o.name,
            description: o.description,
            tags: o.tag.length ? o.tag : undefined,
            metrics: o.metric.length ? parseMetrics(o.metric) : undefined,
            format: o.format,
            type: o.type,
            concurrency: o.concurrency,
            signal: controller.signal,
            resumeDir: `${io.home}/uploads`,
            onProgress: view ? (p) => view.update(p) : undefined,
          });
          view?.end();
          ctx.print(
            a,
            () =>
              `Uploaded ${a.name} (${a.id}), ${formatBytes(Number(a.size))}, sha256 ${a.sha256}\n`,
          );
        } finally {
          view?.end();
          process.removeListener('SIGINT', onSigint);
        }
      },
    );

  program
    .command('pull <artifact> [path]')
    .description('download an artifact (resumes an interrupted download; verifies sha256)')
    .option('--org <org>', 'organization id or name')
    .option('--orbit <orbit>', 'orbit id or name')
    .option('--concurrency <n>', 'range requests in parallel', toInt, 4)
    .action(
      async (
        artifact: string,
        dest: string | undefined,
        o: { org?: string; orbit?: string; concurrency: number },
      ) => {
        const client = await ctx.client();
        const { org, orbit } = await ctx.orbit(client, o);
        const view = ctx.progressView();
        const controller = new AbortController();
        const onSigint = (): void => controller.abort();
        process.once('SIGINT', onSigint);
        try {
          const r = await client.artifacts.download(org.id, orbit.id, artifact, dest ?? '.', {
            concurrency: o.concurrency,
            signal: controller.signal,
            onProgress: view ? (p) => view.update(p) : undefined,
          });
          view?.end();
          ctx.print(
            r,
            () => `Downloaded ${r.path}, ${formatBytes(r.size)}, sha256 ${r.sha256} verified\n`,
          );
        } finally {
          view?.end();
          process.removeListener('SIGINT', onSigint);
        }
      },
    );

  program
    .command('ls')
    .description('list artifacts of an orbit')
    .option('--org <org>', 'organization id or name')
    .option('--orbit <orbit>', 'orbit id or name')
    .option('--collection <collection>', 'only this collection (id or name)')
    .option('--sort <key>', 'created_at, name, size, updated_at or metrics.<key>')
    .addOption(new Option('--order <order>', 'sort order').choices(['asc', 'desc']))
    .option('--tag <tag>', 'only artifacts with this tag (repeatable)', collect, [] as string[])
    .option('--search <text>', 'free-text search')
    .option('--status <status>', 'pending_upload, uploaded, upload_failed')
    .option('--limit <n>', 'at most this many artifacts', toInt, 50)
    .action(
      async (o: {
        org?: string;
        orbit?: string;
        collection?: string;
        sort?: string;
        order?: 'asc' | 'desc';
        tag: string[];
        search?: string;
        status?: Artifact['status'];
        limit: number;
      }) => {
        const client = await ctx.client();
        const { org, orbit } = await ctx.orbit(client, o);
        const collectionId = o.collection
          ? (await ctx.collection(client, org.id, orbit.id, o.collection)).id
          : undefined;
        const items: Artifact[] = [];
        const list = client.artifacts.list(org.id, orbit.id, {
          collectionId,
          sort: o.sort as ArtifactSort | undefined,
          order: o.order,
          tag: o.tag.length ? o.tag : undefined,
          search: o.search,
          status: o.status,
          limit: Math.min(200, Math.max(1, o.limit)),
        });
        for await (const a of list) {
          if (items.length >= o.limit) break;
          items.push(a);
        }
        const metricKey = o.sort?.startsWith('metrics.')
          ? o.sort.slice('metrics.'.length)
          : undefined;
        ctx.print(items, () =>
          table(
            [
              'ID',
              'NAME',
              'SIZE',
              'STATUS',
              ...(metricKey ? [metricKey.toUpperCase()] : []),
              'CREATED',
            ],
            items.map((a) => [
              a.id,
              a.name,
              formatBytes(Number(a.size)),
              a.status,
              ...(metricKey ? [String(a.metrics?.[metricKey] ?? '')] : []),
              a.createdAt,
            ]),
          ),
        );
      },
    );

  program
    .command('deploy <artifact>')
    .description('deploy a model artifact (id or name) to a satellite and wait until it serves')
    .option('--org <org>', 'organization id or name')
    .option('--orbit <orbit>', 'orbit id or name')
    .option(
      '--satellite <satellite>',
      'satellite id or name (default: any active one that serves the format)',
    )
    .option('--name <name>', 'deployment name (default: the artifact name)')
    .option(
      '--env <NAME=value>',
      'environment variable of the model server (repeatable)',
      collect,
      [] as string[],
    )
    .option('--no-wait', 'return as soon as the deployment is queued')
    .action(
      async (
        artifactRef: string,
        o: {
          org?: string;
          orbit?: string;
          satellite?: string;
          name?: string;
          env: string[];
          wait: boolean;
        },
      ) => {
        const client = await ctx.client();
        const { org, orbit } = await ctx.orbit(client, o);
        const artifact = await resolve(
          'artifact',
          artifactRef,
          (id) => client.artifacts.get(org.id, orbit.id, id),
          () => client.artifacts.list(org.id, orbit.id, { search: artifactRef }).toArray(),
        );
        const satellite = o.satellite
          ? await resolve(
              'satellite',
              o.satellite,
              (id) => client.satellites.get(org.id, orbit.id, id),
              () => client.satellites.list(org.id, orbit.id).toArray(),
            )
          : undefined;
        const env: Record<string, string> = {};
        for (const kv of o.env) {
          const i = kv.indexOf('=');
          if (i <= 0) throw new UsageError(`--env expects NAME=value, got "${kv}"`);
          env[kv.slice(0, i)] = kv.slice(i + 1);
        }
        let d = await client.deployments.create(org.id, orbit.id, {
          artifactId: artifact.id,
          name: o.name ?? artifact.name,
          ...(satellite ? { satelliteId: satellite.id } : {}),
          ...(o.env.length ? { env } : {}),
        });
        if (o.wait) d = await client.deployments.waitUntilActive(org.id, orbit.id, d.id);
        ctx.print(
          d,
          () =>
            `Deployment ${d.name} (${d.id}) is ${d.status} on ${d.satelliteName}${d.inferenceUrl ? `: ${d.inferenceUrl}` : ''}\n`,
        );
      },
    );

  program
    .command('predict <deployment>')
    .description(
      'run a deployed model: --input \'{"inputs":{"x":[[1,2,3,4]]}}\' or --input @file.json',
    )
    .option('--org <org>', 'organization id or name')
    .option('--orbit <orbit>', 'orbit id or name')
    .requiredOption('--input <json>', 'request body as JSON, or @file to read it from a file')
    .action(async (deploymentRef: string, o: { org?: string; orbit?: string; input: string }) => {
      const client = await ctx.client();
      const { org, orbit } = await ctx.orbit(client, o);
      const deployment = await resolve(
        'deployment',
        deploymentRef,
        (id) => client.deployments.get(org.id, orbit.id, id),
        () => client.deployments.list(org.id, orbit.id).toArray(),
      );
      const { readFile } = await import('node:fs/promises');
      const text = o.input.startsWith('@') ? await readFile(o.input.slice(1), 'utf8') : o.input;
      let body: { inputs: Record<string, unknown> };
      try {
        body = JSON.parse(text) as { inputs: Record<string, unknown> };
      } catch (e) {
        throw new UsageError(`--input is not JSON: ${(e as Error).message}`);
      }
      const out = await client.deployments.predict(org.id, orbit.id, deployment.id, body);
      io.stdout.write(JSON.stringify(out, null, ctx.globals().json ? 2 : undefined) + '\n');
    });

  return program;
}

/** Per-invocation state: saved config, the client, name resolution, output. */
class Context {
  private cached?: CliConfig;

  constructor(
    private readonly io: CliIO,
    private readonly program: Command,
  ) {}

  globals(): GlobalOpts {
    return this.program.opts<GlobalOpts>();
  }

  async config(): Promise<CliConfig> {
    this.cached ??= await loadConfig(this.io.home);
    return this.cached;
  }

  /** A client from flags, then the environment, then the saved config. */
  async client(): Promise<Apogee> {
    const config = await this.config();
    const g = this.globals();
    const apiKey = g.apiKey ?? readEnv('APOGEE_API_KEY') ?? config.apiKey;
    if (!apiKey)
      throw new UsageError('not logged in: run `apogee login --api-key KEY` or set APOGEE_API_KEY');
    return new Apogee({
      apiKey,
      baseURL: g.baseUrl ?? readEnv('APOGEE_BASE_URL') ?? config.baseURL,
    });
  }

  async org(client: Apogee, given?: string): Promise<Organization> {
    const ref = given ?? (await this.config()).org;
    if (!ref) throw new UsageError('no organization: pass --org or run `apogee use --org ORG`');
    return resolve(
      'organization',
      ref,
      (id) => client.organizations.get(id),
      () => client.organizations.list().toArray(),
    );
  }

  async orbit(
    client: Apogee,
    o: { org?: string; orbit?: string },
  ): Promise<{ org: Organization; orbit: Orbit }> {
    const org = await this.org(client, o.org);
    const ref = o.orbit ?? (await this.config()).orbit;
    if (!ref) throw new UsageError('no orbit: pass --orbit or run `apogee use --orbit ORBIT`');
    const orbit = await resolve(
      'orbit',
      ref,
      (id) => client.orbits.get(org.id, id),
      () => client.orbits.list(org.id).toArray(),
    );
    return { org, orbit };
  }

  async collection(
    client: Apogee,
    org: string,
    orbit: string,
    given?: string,
  ): Promise<Collection> {
    const ref = given ?? (await this.config()).collection;
    if (!ref)
      throw new UsageError('no collection: pass --collection or run `apogee use --collection C`');
    return resolve(
      'collection',
      ref,
      (id) => client.collections.get(org, orbit, id),
      () => client.collections.list(org, orbit, { search: ref }).toArray(),
    );
  }

  /** A progress renderer, unless the output is JSON (progress would corrupt it). */
  progressView(): ProgressView | undefined {
    if (this.globals().json) return undefined;
    // Progress goes to stderr so stdout stays the result; it is a bar when stderr is a terminal.
    return new ProgressView(this.io.stderr);
  }

  print(value: unknown, human: () => string): void {
    this.io.stdout.write(this.globals().json ? JSON.stringify(value, null, 2) + '\n' : human());
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function resolveTrack(
  client: Apogee,
  org: string,
  orbit: string,
  ref: string,
): Promise<Track> {
  return resolve(
    'track',
    ref,
    (id) => client.tracks.get(org, orbit, id),
    () => client.tracks.list(org, orbit, { search: ref }).toArray(),
  );
}

/** A UUID is fetched directly; anything else is looked up by exact name (or id) in the list. */
async function resolve<T extends { id: string; name: string }>(
  kind: string,
  ref: string,
  get: (id: string) => Promise<T>,
  list: () => Promise<T[]>,
): Promise<T> {
  if (UUID.test(ref)) return get(ref);
  const all = await list();
  const found = all.filter((x) => x.name === ref);
  if (found.length === 1) return found[0]!;
  const byId = all.find((x) => x.id === ref);
  if (byId && found.length === 0) return byId;
  if (found.length > 1)
    throw new UsageError(`${found.length} ${kind}s are named "${ref}"; use the id`);
  throw new NotFoundError(404, `${kind}_not_found`, `No ${kind} named "${ref}"`, '');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function toInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`expected a positive integer, got "${value}"`);
  return n;
}

/** `accuracy=0.93` → `{ accuracy: 0.93 }`. Metrics are numbers; anything else is a usage error. */
export function parseMetrics(pairs: string[]): Metrics {
  const out: Metrics = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new UsageError(`--metric expects key=value, got "${pair}"`);
    const key = pair.slice(0, i).trim();
    const raw = pair.slice(i + 1).trim();
    const num = Number(raw);
    if (raw === '' || !Number.isFinite(num)) {
      throw new UsageError(`--metric ${key} must be a finite number, got "${raw}"`);
    }
    out[key] = num;
  }
  return out;
}

/** Reads a line from the terminal without echoing it. */
async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY)
    throw new UsageError('no terminal to ask the password on: pass --password');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const out = rl as unknown as { _writeToOutput?: (s: string) => void };
  process.stderr.write(question);
  out._writeToOutput = () => undefined;
  try {
    return await new Promise<string>((res) => rl.question('', res));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
