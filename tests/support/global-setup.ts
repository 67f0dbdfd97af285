import type { TestProject } from 'vitest/node';
import { dropTemplate, templateName } from './booted-template.ts';
import { startPgServer } from './pg-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    // The run's booted database that useBootedDatabase copies (booted when first asked for).
    bootedTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await startPgServer();
  const banner = `database for this run: ${server.description}`;
  const rule = '='.repeat(Math.min(banner.length, 100));
  process.stdout.write(`\n${rule}\n${banner}\n${rule}\n\n`);
  project.provide('pgUrl', server.url);
  const template = templateName();
  project.provide('bootedTemplate', template);
  return async () => {
    await dropTemplate(server.url, template);
    await server.stop();
  };
}
