import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { NotFound } from '../common/errors.js';

/** What the registry features read about an artifact. */
export interface ArtifactFacts {
  id: string;
  orbitId: string;
  name: string;
  status: string;
  format: string;
  fileName: string;
  size: number;
  sha256: string;
  manifest: Record<string, unknown>;
  metrics: Record<string, unknown>;
  tags: string[];
  runInfo: Record<string, unknown>;
  createdAt: string;
}

interface Row {
  id: string;
  orbit_id: string;
  name: string;
  status: string;
  format: string;
  file_name: string;
  size: number;
  sha256: string;
  manifest: Record<string, unknown>;
  metrics: Record<string, unknown>;
  tags: string[];
  run_info: Record<string, unknown>;
  created_at: Date;
}

/**
 * Read-only facts about artifacts, always filtered by orbit. The artifacts feature owns the rows;
 * this reads the columns tracks, lineage, compare and search need (and `run_info`, which the
 * lineage migration adds) without touching its write paths.
 */
@Injectable()
export class ArtifactFactsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The artifacts of `ids` that belong to the orbit, in the order asked; missing ones are absent. */
  async inOrbit(
    orbitId: string,
    ids: string[],
    m: EntityManager = this.db.manager,
  ): Promise<ArtifactFacts[]> {
    if (!ids.length) return [];
    const rows: Row[] = await m.query(
      `SELECT id, orbit_id, name, status, format, file_name, size, sha256, manifest, metrics, tags, run_info, created_at
         FROM artifacts WHERE orbit_id = $1 AND id = ANY($2::uuid[])`,
      [orbitId, ids],
    );
    const byId = new Map(rows.map((r) => [r.id, toFacts(r)]));
    return ids.map((id) => byId.get(id)).filter((x): x is ArtifactFacts => Boolean(x));
  }

  /** One artifact of the orbit, or 404 (an artifact of another orbit is not revealed). */
  async get(
    orbitId: string,
    id: string,
    m: EntityManager = this.db.manager,
  ): Promise<ArtifactFacts> {
    const [a] = await this.inOrbit(orbitId, [id], m);
    if (!a) throw new NotFound('Artifact', id);
    return a;
  }
}

function toFacts(r: Row): ArtifactFacts {
  return {
    id: r.id,
    orbitId: r.orbit_id,
    name: r.name,
    status: r.status,
    format: r.format,
    fileName: r.file_name,
    size: Number(r.size),
    sha256: r.sha256.trim(),
    manifest: r.manifest ?? {},
    metrics: r.metrics ?? {},
    tags: r.tags ?? [],
    runInfo: r.run_info ?? {},
    createdAt: new Date(r.created_at).toISOString(),
  };
}
