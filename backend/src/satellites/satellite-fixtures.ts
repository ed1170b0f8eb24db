import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { TestApp } from '../testing/harness.js';
import { http, type Http } from '../testing/http.js';
import { TasksService } from '../tasks/tasks.service.js';
import type { TaskEnqueue } from '../tasks/task.types.js';

/** Capabilities a test satellite pairs with; override any field. */
export function capabilities(overrides: Record<string, unknown> = {}) {
  return {
    runtimes: ['process'],
    gpus: [],
    cpus: 2,
    memoryMb: 4096,
    formats: ['onnx', 'gguf'],
    taskTypes: ['deploy', 'undeploy', 'load_model'],
    maxConcurrency: 4,
    ...overrides,
  };
}

/** Creates a satellite in an orbit through the API and pairs it; returns its id, key and a client with the key. */
export async function pairedSatellite(
  user: Http,
  baseURL: string,
  org: string,
  orbit: string,
  opts: { name?: string; capabilities?: Record<string, unknown>; baseUrl?: string } = {},
): Promise<{ id: string; key: string; sat: Http }> {
  const c = await user.post(`/v1/organizations/${org}/orbits/${orbit}/satellites`, {
    name: opts.name ?? `sat-${Math.random().toString(36).slice(2, 8)}`,
  });
  if (c.status !== 201) throw new Error(`create satellite: ${c.status} ${JSON.stringify(c.body)}`);
  const sat = http(baseURL, c.body.key);
  const p = await sat.post('/satellites/v1/pair', {
    baseUrl: opts.baseUrl ?? 'http://127.0.0.1:1',
    version: 'test',
    capabilities: capabilities(opts.capabilities),
  });
  if (p.status !== 200) throw new Error(`pair: ${p.status} ${JSON.stringify(p.body)}`);
  return { id: c.body.id, key: c.body.key, sat };
}

/** Queues tasks straight through the service (the API has no route that queues bare tasks). */
export async function enqueueTasks(t: TestApp, tasks: TaskEnqueue[]): Promise<string[]> {
  const svc = t.app.get(TasksService);
  const db = t.app.get<DataSource>(getDataSourceToken());
  const ids = await db.transaction(async (m) => {
    const out: string[] = [];
    for (const task of tasks) out.push(await svc.enqueue(m, task));
    return out;
  });
  for (const orbit of new Set(tasks.map((x) => x.orbitId))) svc.wake(orbit);
  return ids;
}

export function database(t: TestApp): DataSource {
  return t.app.get<DataSource>(getDataSourceToken());
}
