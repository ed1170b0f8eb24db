import type {
  AliasEvent,
  AliasRule,
  Comparison,
  ModelCard,
  Track,
  TrackAlias,
  TrackCreateParams,
  TrackVersion,
} from '@apogee/sdk';
import { APIError } from '@apogee/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api } from '@/app/api';
import { listAll, v1 } from '@/app/lists';
import { onSignedOut } from '@/app/session-events';

/** Tracks of one orbit, and the open track's versions, aliases, history, rules, card and trend. */
export const useTracksStore = defineStore('tracks', () => {
  const items = ref<Track[]>([]);
  const loading = ref(false);
  const track = ref<Track | null>(null);
  const versions = ref<TrackVersion[]>([]);
  const aliases = ref<TrackAlias[]>([]);
  const history = ref<AliasEvent[]>([]);
  const rules = ref<AliasRule[]>([]);
  const card = ref<ModelCard | null>(null);
  const trend = ref<Comparison['trend']>([]);
  const comparison = ref<Comparison | null>(null);

  const base = (org: string, orbit: string) => v1('organizations', org, 'orbits', orbit, 'tracks');

  async function load(org: string, orbit: string, search = ''): Promise<void> {
    loading.value = true;
    try {
      items.value = await api((c) =>
        listAll<Track>(c, base(org, orbit), { search: search || undefined }),
      );
    } finally {
      loading.value = false;
    }
  }

  async function create(org: string, orbit: string, params: TrackCreateParams): Promise<Track> {
    const t = await api((c) => c.tracks.create(org, orbit, params));
    items.value = [t, ...items.value];
    return t;
  }

  async function remove(org: string, orbit: string, id: string): Promise<void> {
    await api((c) => c.tracks.delete(org, orbit, id));
    items.value = items.value.filter((t) => t.id !== id);
  }

  /** Everything the track page shows, in parallel. */
  async function open(org: string, orbit: string, id: string): Promise<void> {
    const tb = `${base(org, orbit)}/${encodeURIComponent(id)}`;
    const [t, vs, as, hs, rs, cd] = await Promise.all([
      api((c) => c.tracks.get(org, orbit, id)),
      api((c) => listAll<TrackVersion>(c, `${tb}/versions`)),
      api((c) => c.tracks.aliases(org, orbit, id)),
      api((c) => listAll<AliasEvent>(c, `${tb}/alias-history`, {}, 500)),
      api((c) => c.tracks.aliasRules(org, orbit, id)).catch(() => [] as AliasRule[]),
      api((c) => c.tracks.card(org, orbit, id)).catch(() => null),
    ]);
    track.value = t;
    versions.value = [...vs].sort((a, b) => b.version - a.version);
    aliases.value = as;
    history.value = hs;
    rules.value = rs;
    card.value = cd;
    trend.value = [];
    comparison.value = null;
    if (vs.length > 1) {
      trend.value =
        (await api((c) => c.tracks.compare(org, orbit, id)).catch(() => null))?.trend ?? [];
    }
  }

  /** Moves an alias; on success the aliases, versions and history are re-read. */
  async function moveAlias(
    org: string,
    orbit: string,
    id: string,
    alias: string,
    version: number,
    reason?: string,
  ): Promise<void> {
    const current = aliases.value.find((a) => a.name === alias)?.version ?? null;
    await api((c) =>
      c.tracks.moveAlias(org, orbit, id, alias, { version, expectedVersion: current, reason }),
    );
    await refreshAliases(org, orbit, id);
  }

  async function removeAlias(org: string, orbit: string, id: string, alias: string): Promise<void> {
    await api((c) => c.tracks.removeAlias(org, orbit, id, alias));
    await refreshAliases(org, orbit, id);
  }

  async function refreshAliases(org: string, orbit: string, id: string): Promise<void> {
    const tb = `${base(org, orbit)}/${encodeURIComponent(id)}`;
    const [as, vs, hs] = await Promise.all([
      api((c) => c.tracks.aliases(org, orbit, id)),
      api((c) => listAll<TrackVersion>(c, `${tb}/versions`)),
      api((c) => listAll<AliasEvent>(c, `${tb}/alias-history`, {}, 500)),
    ]);
    aliases.value = as;
    versions.value = [...vs].sort((a, b) => b.version - a.version);
    history.value = hs;
  }

  async function saveCard(org: string, orbit: string, id: string, markdown: string): Promise<void> {
    card.value = await api((c) => c.tracks.setCard(org, orbit, id, markdown));
  }

  async function compare(org: string, orbit: string, id: string, vs: number[]): Promise<void> {
    comparison.value = await api((c) => c.tracks.compare(org, orbit, id, vs));
  }

  onSignedOut(() => {
    items.value = [];
    track.value = null;
    versions.value = [];
    aliases.value = [];
    history.value = [];
    card.value = null;
    comparison.value = null;
  });

  return {
    items,
    loading,
    track,
    versions,
    aliases,
    history,
    rules,
    card,
    trend,
    comparison,
    load,
    create,
    remove,
    open,
    moveAlias,
    removeAlias,
    saveCard,
    compare,
  };
});

/** The refusal of an alias move, naming the rule (`production.metrics.accuracy`) when the API does. */
export function describeRefusal(e: unknown): string | null {
  if (!(e instanceof APIError) || e.code !== 'alias_rule_refused') return null;
  const rule = (e.details as { rule?: string } | undefined)?.rule;
  return rule ? `Refused by rule ${rule}: ${e.rawMessage}` : e.rawMessage;
}
