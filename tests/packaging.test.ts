import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { Ajv } from 'ajv';
import { Add, Copy, DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate as lintDockerfile, ValidationSeverity } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TIMESCALEDB_IMAGE } from './support/pg-server.ts';
import { repoDir } from './support/run.ts';

// File-level checks of what CI builds and what operators deploy: the Gitea workflow, the Dockerfile
// and the compose files. No Docker needed; every validator runs offline.

const read = (file: string) => readFile(path.join(repoDir, file), 'utf8');
const exists = (file: string) => access(path.join(repoDir, file)).then(() => true, () => false);

// Parsed YAML and JSON: the tests assert the shapes they rely on.
type Yaml = Record<string, any>;
const packageJson: Yaml = JSON.parse(await read('package.json'));
const workflowFiles = (await readdir(path.join(repoDir, '.gitea/workflows')))
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => `.gitea/workflows/${name}`);
const workflowText = await read('.gitea/workflows/image.yaml');
const workflow: Yaml = parse(workflowText);
const dockerfile = DockerfileParser.parse(await read('Dockerfile'));

const instructions = dockerfile.getInstructions();
const lastFrom = instructions.findLastIndex((instruction) => instruction.getKeyword() === 'FROM');
const finalStage = instructions.slice(lastFrom);
const args = (instruction: Instruction) => instruction.getArguments().map((arg) => arg.getValue());
// Sources the build context must provide: every COPY/ADD argument but the last, unless --from a stage.
const contextSources = instructions
  .filter((instruction) => instruction instanceof Copy || instruction instanceof Add)
  .filter((instruction) => !instruction.getFlags().some((flag) => flag.getName() === 'from'))
  .flatMap((instruction) => args(instruction).slice(0, -1));

const steps = (job: string): Yaml[] => workflow['jobs'][job]['steps'];
const runText = (job: string) => steps(job).map((step) => step['run'] ?? '').join('\n');

// Compose Specification schema, vendored (tests/schemas/README.md says from where).
const composeSchema: Yaml = JSON.parse(await read('tests/schemas/compose-spec.json'));
// The upstream file names draft-07 by its https URL; Ajv registers that meta-schema under http.
// Union types and untyped keywords are upstream's style, so only those strict checks are relaxed.
const validateCompose = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false }).compile({
  ...composeSchema,
  $schema: 'http://json-schema.org/draft-07/schema#',
});
function composeErrors(document: unknown): string[] {
  return validateCompose(document) ? [] : (validateCompose.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('Gitea workflow', () => {
  it('validates against the GitHub Actions workflow schema (action-validator)', async () => {
    expect(workflowFiles).toContain('.gitea/workflows/image.yaml');
    for (const file of workflowFiles) {
      // action-validator's WebAssembly build warns that it cannot check path globs; the next test does.
      expect(validateWorkflow(await read(file)).errors, file).toEqual([]);
    }
    // The validator is live, not vacuous: a misspelt key is an error.
    expect(validateWorkflow(workflowText.replace('runs-on:', 'runs_on:')).errors).not.toEqual([]);
  });

  it('runs on push to main for every file that goes into the image, and on demand', async () => {
    const push = workflow['on']['push'];
    expect(push['branches']).toContain('main');
    expect(workflow['on']).toHaveProperty('workflow_dispatch');
    const filters: string[] = push['paths'];
    // A directory COPY is covered only by a filter matching files below it (scripts/**, not scripts).
    const probes = await Promise.all(
      contextSources.map(async (source) => {
        const isDir = (await readdir(path.join(repoDir, source)).catch(() => null)) !== null;
        return isDir ? [`${source}/file`, `${source}/nested/file`] : [source];
      }),
    );
    const required = [...probes.flat(), 'Dockerfile', '.dockerignore', 'pnpm-lock.yaml', '.gitea/workflows/image.yaml'];
    const uncovered = required.filter((file) => !filters.some((filter) => path.matchesGlob(file, filter)));
    expect(uncovered).toEqual([]);
  });

  it('chains test → dry-run-gate → publish', () => {
    const needs = (job: string) => [workflow['jobs'][job]['needs'] ?? []].flat();
    expect(Object.keys(workflow['jobs'])).toEqual(['test', 'dry-run-gate', 'publish']);
    expect(needs('test')).toEqual([]);
    expect(needs('dry-run-gate')).toEqual(['test']);
    expect(needs('publish')).toEqual(['dry-run-gate']);
  });

  it('pins every action to an exact release (vX.Y.Z) or commit SHA from an owner Gitea runners fetch', () => {
    const uses = Object.keys(workflow['jobs']).flatMap((job) => steps(job).map((step) => step['uses'])).filter(Boolean);
    expect(uses.length).toBeGreaterThan(0);
    const pinned = /^(actions|docker|pnpm)\/[\w.-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/;
    expect(uses.filter((ref: string) => !pinned.test(ref))).toEqual([]);
  });

  it('fails a piped script when its first command fails (bash -eo pipefail)', () => {
    for (const [name, job] of Object.entries<Yaml>(workflow['jobs'])) {
      for (const step of job['steps'] as Yaml[]) {
        const piped = /[^|]\|[^|]/.test(step['run'] ?? '');
        const shell = step['shell'] ?? job['defaults']?.['run']?.['shell'] ?? workflow['defaults']?.['run']?.['shell'];
        if (piped) expect(shell, `${name}: ${step['name'] ?? step['run']}`).toBe('bash');
      }
    }
  });

  it('tests on the Node version of .nvmrc, with Docker for testcontainers', async () => {
    const setupNode = steps('test').find((step) => String(step['uses']).startsWith('actions/setup-node@'));
    expect(setupNode?.['with']?.['node-version-file']).toBe('.nvmrc');
    const nvmrc = (await read('.nvmrc')).trim();
    const engineMajor = /^>=\s*(\d+)\./.exec(packageJson['engines']['node'])?.[1];
    expect(nvmrc.split('.')[0]).toBe(engineMajor);
    const run = runText('test');
    expect(run.indexOf('docker info')).toBeGreaterThanOrEqual(0);
    expect(run.indexOf('docker info')).toBeLessThan(run.indexOf('pnpm test'));
  });

  it('gates on two dry-runs, then the schema check, then a full boot, against the tests\' TimescaleDB', () => {
    const run = runText('dry-run-gate');
    const firstDryRun = run.indexOf('dry-run | tee first.log');
    const secondDryRun = run.indexOf('dry-run | tee second.log');
    const schemaCheck = run.indexOf('"$IMAGE:ci" schema-check');
    expect(firstDryRun).toBeGreaterThanOrEqual(0);
    expect(secondDryRun).toBeGreaterThan(firstDryRun);
    expect(schemaCheck).toBeGreaterThan(secondDryRun);
    expect(run.indexOf('/server/ping')).toBeGreaterThan(schemaCheck);
    expect(workflow['env']['TIMESCALEDB_IMAGE']).toBe(TIMESCALEDB_IMAGE);
  });
});

describe('Dockerfile', () => {
  it('builds FROM directus/directus at the version package.json pins', () => {
    const froms = dockerfile.getFROMs().filter((from) => from.getImageName() === 'directus/directus');
    expect(froms.length).toBeGreaterThan(0);
    expect(froms.map((from) => from.getImageTag())).toEqual(froms.map(() => packageJson['devDependencies']['directus']));
    expect(finalStage[0]?.getArguments()[0]?.getValue()).toMatch(/^directus\/directus:/);
  });

  it('copies only what the repository has and .dockerignore lets through', async () => {
    expect(contextSources.length).toBeGreaterThan(0);
    const missing = [];
    for (const source of contextSources) if (!(await exists(source))) missing.push(source);
    expect(missing).toEqual([]);
    // Docker's rule: the last pattern that matches decides, and `!` lets a path back in.
    const patterns = (await read('.dockerignore')).split('\n').map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const ignored = (source: string) =>
      patterns.reduce((excluded, pattern) => {
        const negated = pattern.startsWith('!');
        return path.matchesGlob(source, negated ? pattern.slice(1) : pattern) ? !negated : excluded;
      }, false);
    expect(contextSources.filter(ignored)).toEqual([]);
    expect(ignored('.env')).toBe(true);
  });

  it('bakes in the extensions as `pnpm run build` builds them: the built bundle and its manifest, no sources', async () => {
    const manifest: Yaml = JSON.parse(await read('extensions/platform/package.json'));
    const outputs = Object.values<string>(manifest['directus:extension']['path']);
    expect(outputs).toEqual(['dist/app.js', 'dist/api.js']);
    const stageStart = instructions.findIndex((i) => i.getKeyword() === 'FROM' && args(i).at(-1) === 'extensions');
    const stageEnd = instructions.findIndex((i, index) => index > stageStart && i.getKeyword() === 'FROM');
    const stageRuns = instructions.slice(stageStart, stageEnd).filter((i) => i.getKeyword() === 'RUN').map((i) => args(i).join(' '));
    expect(stageRuns).toContain('pnpm install --frozen-lockfile --ignore-scripts');
    expect(stageRuns.at(-1)).toBe('pnpm run build');
    expect(packageJson['scripts']['build']).toContain('directus-extension build');
    const copies = finalStage.filter((i) => i instanceof Copy).map((i) => args(i).join(' '));
    expect(copies).toContain('/build/extensions/platform/dist ./extensions/platform/dist');
    expect(copies).toContain('extensions/platform/package.json ./extensions/platform/package.json');
    expect(copies.filter((copy) => copy.includes('extensions') && copy.includes('src'))).toEqual([]);
  });

  it('runs as an unprivileged user and checks health on /server/ping', () => {
    const users = finalStage.filter((instruction) => instruction.getKeyword() === 'USER');
    const user = users.at(-1)?.getArguments()[0]?.getValue().split(':')[0];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    const healthchecks = finalStage.filter((instruction) => instruction.getKeyword() === 'HEALTHCHECK');
    expect(healthchecks).toHaveLength(1);
    expect(args(healthchecks[0]!)[0]).toBe('CMD');
    expect(args(healthchecks[0]!).join(' ')).toContain('/server/ping');
  });

  it('passes the dockerfile-utils linter with every rule an error', async () => {
    const text = await read('Dockerfile');
    const strict = {
      deprecatedMaintainer: ValidationSeverity.ERROR,
      directiveCasing: ValidationSeverity.ERROR,
      emptyContinuationLine: ValidationSeverity.ERROR,
      instructionCasing: ValidationSeverity.ERROR,
      instructionCmdMultiple: ValidationSeverity.ERROR,
      instructionEntrypointMultiple: ValidationSeverity.ERROR,
      instructionHealthcheckMultiple: ValidationSeverity.ERROR,
      instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
      instructionWorkdirRelative: ValidationSeverity.ERROR,
    };
    const problems = (source: string) =>
      lintDockerfile(source, strict).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems(text)).toEqual([]);
    expect(problems(text.replace('WORKDIR /directus', 'WORKDIR directus'))).not.toEqual([]);
  });
});

describe('compose files', () => {
  it('compose.dev.yaml is valid Compose and publishes 8055 for local work', async () => {
    const dev: Yaml = parse(await read('compose.dev.yaml'));
    expect(composeErrors(dev)).toEqual([]);
    expect(dev['services']['directus']['ports']).toContain('8055:8055');
    expect(dev['services']['db']['image']).toBe(TIMESCALEDB_IMAGE);
    // The schema is live, not vacuous.
    expect(composeErrors({ services: { directus: { ports: '8055:8055' } } })).not.toEqual([]);
  });

  it('deploy/stack.example.yaml is valid Compose: internal only, on trm_default, the published image', async () => {
    const stack: Yaml = parse(await read('deploy/stack.example.yaml'));
    expect(composeErrors(stack)).toEqual([]);
    // postgres and redis belong to the platform stack; this one adds Directus only.
    expect(Object.keys(stack['services'])).toEqual(['directus']);
    const directus: Yaml = stack['services']['directus'];
    expect(directus).not.toHaveProperty('ports');
    expect(directus['expose']).toEqual(['8055']);
    expect(directus['networks']).toEqual(['trm_default']);
    expect(stack['networks']['trm_default']).toEqual({ external: true });
    expect(directus['restart']).toBe('unless-stopped');
    expect(directus['healthcheck']['test'].join(' ')).toContain('/server/ping');
    expect(directus['environment']).toMatchObject({
      DB_HOST: 'postgres',
      NODE_ENV: 'production',
      REDIS: 'redis://redis:6379',
      CACHE_STORE: 'redis',
      SYNCHRONIZATION_STORE: 'redis',
      WEBSOCKETS_ENABLED: 'true',
      WEBSOCKETS_HEARTBEAT_ENABLED: 'true',
    });

    // The image is the one the workflow publishes, tagged by commit.
    const image = String(directus['image']).replace(/\$\{(\w+)[^}]*\}/g, '${$1}');
    expect(image).toBe('${REGISTRY}/${IMAGE_NAMESPACE}/trm-directus:${DIRECTUS_TAG}');
    const published = steps('publish').find((step) => String(step['uses']).startsWith('docker/build-push-action@'));
    expect(published?.['with']?.['tags']).toContain(
      '${{ vars.REGISTRY }}/${{ vars.IMAGE_NAMESPACE }}/trm-directus:${{ github.sha }}',
    );

    // Secrets are stack variables, never values written into the file.
    const literal = ['KEY', 'SECRET', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'DB_PASSWORD']
      .filter((name) => !/^\$\{\w+(:\?[^}]*)?\}$/.test(String(directus['environment'][name])));
    expect(literal).toEqual([]);
  });
});
