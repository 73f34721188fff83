import { addProjectConfiguration, formatFiles, generateFiles, getProjects, type Tree } from '@nx/devkit';
import { join } from 'node:path';
import { defaultDescription, planNewImage } from '../../lib/image-generator/new-image-project';
import type { ImageGeneratorOptions } from './schema';

export default async function imageGenerator(tree: Tree, options: ImageGeneratorOptions): Promise<void> {
  const projects = Object.fromEntries(getProjects(tree));
  const plan = planNewImage({ ...options, streams: options.streams ?? 'cpu' }, projects);
  addProjectConfiguration(tree, plan.name, { ...plan.configuration, $schema: '../../node_modules/nx/schemas/project-schema.json' } as never);
  generateFiles(tree, join(__dirname, 'files'), plan.root, {
    ...plan,
    description: options.description?.trim() || defaultDescription(plan),
    tmpl: '',
  });
  await formatFiles(tree);
}
