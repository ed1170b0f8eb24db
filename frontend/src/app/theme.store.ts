import { defineStore } from 'pinia';
import { ref, watch } from 'vue';

export type ThemeMode = 'light' | 'dark';
const KEY = 'apogee.theme';
/** The class PrimeVue's `darkModeSelector` and our own CSS key dark styles on. */
export const DARK_CLASS = 'app-dark';

function initial(): ThemeMode {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === 'light' || saved === 'dark') return saved;
    return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  } catch {
    return 'light';
  }
}

/** Light/dark theme, persisted in localStorage and applied to `<html>`. */
export const useThemeStore = defineStore('theme', () => {
  const mode = ref<ThemeMode>(initial());

  function apply(m: ThemeMode): void {
    document.documentElement.classList.toggle(DARK_CLASS, m === 'dark');
  }

  function toggle(): void {
    mode.value = mode.value === 'dark' ? 'light' : 'dark';
  }

  watch(
    mode,
    (m) => {
      apply(m);
      try {
        localStorage.setItem(KEY, m);
      } catch {
        // Storage can be disabled (private mode); the theme still applies for this visit.
      }
    },
    { immediate: true },
  );

  return { mode, toggle };
});
