import { posix, sep } from 'node:path';
import type { TargetConfiguration } from '@nx/devkit';
import { buildTarget, STREAMS, UPSTREAM_TAG, type ImageGraph, type Stream } from '../hierarchy/image-graph';
import { hierarchyParent } from '../hierarchy/resolve-parent';
import type { CodeInputs } from '../plugin-build/plugin-sources';
import { settingsEnvInputs } from '../settings/setting-scopes';

/** What an image project's folder and project.json say of it: all the plugin infers its targets from. */
export interface ImageProjectFacts {
  name: string;
  root: string;
  implicitDependencies: string[];
  tags: string[];
  streams: Stream[];
  imageName?: string;
  /** The folder has a Dockerfile; an upstream without one has its build context generated. */
  hasDockerfile: boolean;
  /** The build context and Dockerfile its project.json names for a stream's build, where it names them. */
  buildPaths?: Partial<Record<Stream, BuildPaths>>;
}

export interface BuildPaths {
  context?: string;
  dockerfile?: string;
}

/**
 * The file inputs of a context or Dockerfile a project.json names: the
 * content tag hashes them wherever they are, so the Nx key must too (the
 * image folder alone would let Nx replay a stale tag). A path outside the
 * workspace is refused by the build itself.
 */
export function buildPathInputs({ context, dockerfile }: BuildPaths = {}, projectRoot = ''): string[] {
  const inside = (path: string) => {
    const normal = posix.normalize(path.split(sep).join('/')).replace(/\/+$/, '');
    return normal === '..' || normal.startsWith('../') || posix.isAbsolute(normal) ? null : normal;
  };
  // The image folder is hashed already (imageContext, without its README and tests/).
  const contextPath = context === undefined || inside(context) === projectRoot ? null : inside(context);
  const dockerfilePath = dockerfile === undefined ? null : inside(dockerfile);
  return [
    ...(contextPath === null ? [] : [contextPath === '.' ? '{workspaceRoot}/**/*' : `{workspaceRoot}/${contextPath}/**/*`]),
    ...(dockerfilePath === null ? [] : [`{workspaceRoot}/${dockerfilePath}`]),
  ];
}

export const EXECUTOR_PACKAGE = '@kubeflow-images/nx-plugin';
const executor = (name: string) => `${EXECUTOR_PACKAGE}:${name}`;

export function isUpstream(facts: ImageProjectFacts): boolean {
  return facts.tags.includes(UPSTREAM_TAG);
}

/** An upstream that publishes an image but has no Dockerfile: its build context is generated (gpu-upstream). */
export function isGeneratedUpstream(facts: ImageProjectFacts): boolean {
  return isUpstream(facts) && !facts.hasDockerfile && !!facts.imageName;
}

/**
 * An upstream that publishes nothing: it stands for an image pinned in
 * build_settings.env (the cpu stream's docker-stacks root) and owns that pin
 * and its lock entry. It builds nothing; its stream's root image takes the pin.
 */
export function isPinnedUpstream(facts: ImageProjectFacts): boolean {
  return isUpstream(facts) && !facts.hasDockerfile && !facts.imageName;
}

/** The hierarchy as parent resolution sees it, with each project's build targets from its streams. */
export function factsGraph(projects: ImageProjectFacts[]): ImageGraph {
  return Object.fromEntries(
    projects.map((facts) => [
      facts.name,
      {
        name: facts.name,
        root: facts.root,
        implicitDependencies: facts.implicitDependencies.filter((dep) => !dep.startsWith('!')),
        targets: isPinnedUpstream(facts) ? [] : facts.streams.map(buildTarget),
        tags: facts.tags,
        imageName: facts.imageName,
      },
    ]),
  );
}

/**
 * The images above `project` in one stream, nearest first. Empty when the
 * hierarchy is broken: the plugin's createDependencies then stops Nx with the
 * message that names the fix, so targets need not.
 */
export function ancestorsIn(graph: ImageGraph, project: string, stream: Stream): string[] {
  const chain: string[] = [];
  try {
    for (let current = project; ; ) {
      const parent = hierarchyParent(graph, current, stream);
      if (parent.kind !== 'project' || chain.includes(parent.project) || parent.project === project) return chain;
      chain.push(parent.project);
      current = parent.project;
    }
  } catch {
    return [];
  }
}

/** The upstream project among `facts`' implicit dependencies that stands for `stream`'s pinned root, if any. */
function pinOwner(facts: ImageProjectFacts, projects: Record<string, ImageProjectFacts>, stream: Stream): string | undefined {
  return facts.implicitDependencies.find((dep) => projects[dep] && isPinnedUpstream(projects[dep]) && projects[dep].streams.includes(stream));
}

/** Where a generated upstream's context and Dockerfile are written (gitignored). */
export function generatedContextOf(project: string): string {
  return `dist/images/${project}/context`;
}

/**
 * An image's targets: build, test, inspect and serve per stream it has, lint,
 * and for an upstream whose build context is generated, build and test per
 * stream, generate and parity.
 * `build-<stream>` depends on the parent's `build-<stream>` only, and reads
 * only that stream's chain, so the two streams are two chains in the task graph.
 */
export function imageTargets(
  facts: ImageProjectFacts,
  graph: ImageGraph,
  projects: Record<string, ImageProjectFacts>,
  code: Record<string, CodeInputs>,
): Record<string, TargetConfiguration> {
  const targets: Record<string, TargetConfiguration> = {};
  if (isUpstream(facts)) {
    const upstreams = Object.values(projects).filter(isUpstream).map((upstream) => upstream.name).sort();
    for (const stream of facts.streams) {
      targets.settings = {
        executor: executor('stream-settings'),
        options: { stream },
        cache: true,
        inputs: [
          '{workspaceRoot}/build_settings.env',
          '{workspaceRoot}/upstream-lock.json',
          // What each upstream owns is in its project.json metadata.
          { input: 'projectFile', projects: upstreams },
          'settingsIdentity',
          ...code['stream-settings'],
        ],
        outputs: [`{workspaceRoot}/dist/images/{projectName}/${stream}.settings.json`],
      };
    }
  }
  if (isPinnedUpstream(facts)) return targets;
  const generated = isGeneratedUpstream(facts);
  const context = generatedContextOf(facts.name);
  for (const stream of STREAMS.filter((candidate) => facts.streams.includes(candidate))) {
    const build = buildTarget(stream);
    const ancestors = ancestorsIn(graph, facts.name, stream);
    const parent = ancestors[0];
    const root = ancestors.length ? ancestors[ancestors.length - 1] : facts.name;
    // The stream's settings come from its upstream: the chain's root when that is an upstream, else the pin's owner.
    const settingsOwner = projects[root] && isUpstream(projects[root]) ? root : pinOwner(projects[root] ?? facts, projects, stream);
    const dependsOn = [
      ...(parent ? [{ projects: [parent], target: build }] : []),
      ...(!parent && settingsOwner ? [settingsOwner === facts.name ? 'settings' : { projects: [settingsOwner], target: 'settings' }] : []),
    ];
    targets[build] = {
      executor: executor('build'),
      options: { stream, ...(generated ? { generated: true, context, dockerfile: `${context}/Dockerfile` } : {}) },
      configurations: { plan: { plan: true } },
      dependsOn,
      inputs: [
        'imageContext',
        ...(generated ? [] : buildPathInputs(facts.buildPaths?.[stream], facts.root)),
        { dependentTasksOutputFiles: `dist/images/*/${stream}.json` },
        ...(parent ? [{ input: 'imageContext', projects: [parent] }] : []),
        // The settings and lock entries of this stream only, resolved by the upstream's settings target.
        { dependentTasksOutputFiles: `dist/images/*/${stream}.settings.json`, transitive: true },
        ...settingsEnvInputs(stream, 'build'),
        ...code.build,
        'buildIdentity',
      ],
      outputs: [`{workspaceRoot}/dist/images/{projectName}/${stream}.json`],
      cache: true,
    };
    targets[`test-${stream}`] = {
      executor: executor('container-test'),
      // A generated upstream starts docker-stacks' own server, which knows nothing of Kubeflow's NB_PREFIX: it serves at the root.
      options: { stream, ...(generated ? { nbPrefix: '/' } : {}) },
      dependsOn: [build],
      inputs: [
        'containerChecks',
        ...(ancestors.length ? [{ input: 'containerChecks', projects: ancestors }] : []),
        // The record of the build it depends on. Nx matches this glob against
        // the dependent tasks' outputs as is ({projectName} is not expanded
        // here), and the only dependent task is this project's build.
        { dependentTasksOutputFiles: `dist/images/*/${stream}.json` },
        ...settingsEnvInputs(stream, 'test'),
        ...code['container-test'],
      ],
      outputs: [],
      cache: true,
    };
    if (generated) continue;
    targets[`inspect-${stream}`] = {
      executor: executor('inspect'),
      options: { stream },
      dependsOn: [build],
      inputs: [{ dependentTasksOutputFiles: `dist/images/*/${stream}.json` }, '{projectRoot}/Dockerfile', ...code.inspect],
      outputs: [`{workspaceRoot}/dist/images/{projectName}/${stream}.inspect.json`],
      cache: true,
    };
    targets[`serve-${stream}`] = { executor: executor('serve'), options: { stream }, dependsOn: [build], cache: false };
  }
  if (generated) {
    targets.generate = {
      executor: executor('generate-gpu-upstream'),
      cache: true,
      inputs: [
        '{workspaceRoot}/build_settings.env',
        '{workspaceRoot}/upstream-lock.json',
        ...settingsEnvInputs('gpu', 'generate'),
        ...code['generate-gpu-upstream'],
      ],
      outputs: [`{workspaceRoot}/${context}`, `{workspaceRoot}/dist/images/${facts.name}/generation.json`],
    };
    targets.parity = {
      executor: executor('stream-parity'),
      dependsOn: ['generate'],
      cache: true,
      inputs: [
        '{workspaceRoot}/build_settings.env',
        ...settingsEnvInputs('both', 'parity'),
        { dependentTasksOutputFiles: `dist/images/${facts.name}/**/*` },
        ...code['stream-parity'],
      ],
      outputs: [],
    };
    targets.lint = {
      executor: executor('lint'),
      cache: false,
      options: {
        dockerfile: `${context}/Dockerfile`,
        context,
        disabledRules: ['base-container-arg', 'rebuild-date-arg'],
        allowMissing: true,
        missingHint: `run \`npx nx run ${facts.name}:generate\` to generate it, then lint again`,
      },
    };
  } else {
    targets.lint = { executor: executor('lint'), cache: true, inputs: ['{projectRoot}/**/*', ...code.lint] };
  }
  return targets;
}
