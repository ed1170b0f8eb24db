import type { RouteLocationRaw, RouteRecordRaw } from 'vue-router';
import type { Action } from './permissions';

/** Where a navigation item lives in the sidebar. */
export type NavScope = 'orbit' | 'organization' | 'account';

/** Route parameters a nav item can link with. */
export interface NavContext {
  org: string;
  orbit?: string;
}

/** A sidebar entry a feature contributes. */
export interface NavItem {
  /** Unique key, also used by tests. */
  key: string;
  label: string;
  /** A PrimeIcons class, e.g. `pi pi-box`. */
  icon: string;
  scope: NavScope;
  /** Position inside its scope, ascending. */
  order: number;
  to: (ctx: NavContext) => RouteLocationRaw;
  /** Shown only when the current org/orbit `permissions` allow this (hidden otherwise). */
  permission?: [resource: string, action: Action];
  /** Route names that mark this item active (besides the one it links to). */
  activeFor?: string[];
}

/**
 * What a feature registers: its routes and nav items. Satellites, deployments, models and tracks
 * add themselves the same way — write `features/<name>/index.ts` exporting a `FeatureModule`
 * and list it in `app/features.ts`. Views must be lazy (`() => import(...)`) so each page is
 * its own chunk.
 */
export interface FeatureModule {
  name: string;
  /** Routes rendered inside the app shell (signed-in pages). */
  routes?: RouteRecordRaw[];
  /** Routes rendered without the shell (sign-in, sign-up). */
  publicRoutes?: RouteRecordRaw[];
  nav?: NavItem[];
}

declare module 'vue-router' {
  interface RouteMeta {
    /** Page title, shown in the breadcrumbs and the document title. */
    title?: string;
    /** Reachable without signing in. */
    public?: boolean;
    /** Only for signed-out visitors (the sign-in page sends signed-in users home). */
    guestOnly?: boolean;
    /** Breadcrumb trail level: `organization` pages show the org, `orbit` pages the orbit too. */
    scope?: 'organization' | 'orbit' | 'account';
  }
}

/** Collects nav items of a scope in order. */
export function navItems(features: FeatureModule[], scope: NavScope): NavItem[] {
  return features
    .flatMap((f) => f.nav ?? [])
    .filter((n) => n.scope === scope)
    .sort((a, b) => a.order - b.order);
}
