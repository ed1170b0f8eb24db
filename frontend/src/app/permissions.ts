/** Actions the API names in every organization and orbit read's `permissions`. */
export type Action = 'list' | 'read' | 'create' | 'update' | 'delete' | 'reveal' | 'deploy';
/** `{ resource: actions[] }`, exactly as the API returns it. */
export type PermissionMap = Partial<Record<string, Action[] | string[]>>;

/** True when `perms` allow `action` on `resource`. Missing maps allow nothing. */
export function can(
  perms: PermissionMap | null | undefined,
  resource: string,
  action: Action,
): boolean {
  return !!perms?.[resource]?.includes(action);
}
